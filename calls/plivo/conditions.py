"""The Plivo list filters as django-filter filter sets, one per product, built from the
parameter table (calls/plivo/parameters.py): they validate a request's parameters, filter
a queryset (`.qs`), and give the core (calls/query/core.py) the same filters as
conditions and a window, from which it builds one statement for the page and the total
(docs/plivo.md, "List parameters" and "The time window")."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_filters import rest_framework as filters

from calls.models import Call
from calls.plivo import parameters
from calls.query import window as win
from calls.query.core import Condition
from calls.query.errors import QueryError
from calls.query.filter_fields import FreshCopies
from calls.vocabulary.choices import PRODUCTS

# Which side of the window each end_time lookup bounds, and whether strictly.
_LOWER = {"exact": False, "gt": True, "gte": False}
_UPPER = {"exact": False, "lt": True, "lte": False}


def product_condition(product: str) -> Condition:
    """Each path lists and retrieves one product's calls (a dimension of the counts)."""
    return Condition("product", "exact", product, dimension="product")


class CallFilterSet(filters.FilterSet):
    """One product's filters (declared by `for_product`, from the parameter table)."""

    product = ""

    class Meta:
        model = Call
        fields = ()  # every filter is declared, from the table

    @classmethod
    def get_filters(cls):
        """The declared filters, which each instance copies fresh (FreshCopies)."""
        return FreshCopies(super().get_filters())

    def get_form_class(self):
        """Built once per filter set class, where django-filter builds one per instance
        (docs/architecture.md, "API parameters"): it holds only the filters' form fields,
        which hold no request state. Each instance still gets its own form, and the form
        its own fields (FreshCopies)."""
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            form_class = super().get_form_class()
            form_class.base_fields = FreshCopies(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class

    def conditions(self) -> tuple[Condition, ...]:
        """The valid request's filters as the core's conditions (end_time is the window's);
        a QueryError naming the first bad parameter otherwise."""
        if not self.is_valid():
            name, messages = next(iter(self.errors.items()))
            raise QueryError(f"Invalid {name}: {' '.join(messages)}.", name)
        return (
            product_condition(self.product),
            *(self.filters[name].condition(value)
              for name, value in self.form.cleaned_data.items()
              if value is not None and not self.filters[name].window),
        )  # fmt: skip

    def window(self, now: datetime) -> win.Window:
        """The end_time window of this (valid) request; raises WindowError."""
        lower, upper = [], []
        for name, value in self.form.cleaned_data.items():
            if value is None or not self.filters[name].window:
                continue
            lookup = self.filters[name].lookup_expr
            if lookup in _LOWER:
                lower.append(win.Bound(value, _LOWER[lookup]))
            if lookup in _UPPER:
                upper.append(win.Bound(value, _UPPER[lookup]))
        return win.resolve(
            lower=win.tightest(lower, lower=True),
            upper=win.tightest(upper, lower=False),
            now=now,
        )

    def filter_queryset(self, queryset):
        """The product's calls that every filter keeps, in the window (now): the rows the
        API lists, before the caller's scope and retention, which `queryset` carries."""
        queryset = product_condition(self.product).apply(queryset, 0)
        queryset = super().filter_queryset(queryset)
        return queryset.filter(self.window(timezone.now()).q())


def for_product(product: str) -> type[CallFilterSet]:
    """The filter set of one product's path: the table's filters, in its words."""
    attrs = {"product": product, **parameters.filters(product)}
    return type(f"{product.title()}CallFilterSet", (CallFilterSet,), attrs)


FILTERSETS = {product: for_product(product) for product in PRODUCTS}
