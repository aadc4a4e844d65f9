"""The Plivo list parameters as the core's inputs: conditions and a window
(docs/plivo.md, "List parameters" and "The time window")."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django_filters import rest_framework as filters

from calls.models import Call
from calls.query import window as win
from calls.query.core import Condition
from calls.query.errors import QueryError
from calls.query.filter_fields import (
    IntFilter,
    NumberPrefixFilter,
    StrictChoiceFilter,
    UIntFilter,
    UTCDateTimeFilter,
    UUIDFilter,
)
from calls.vocabulary.choices import DIRECTIONS, PRODUCTS, STIR_VERIFICATIONS
from calls.vocabulary.hangup import HANGUP_SOURCE_ALIASES, HANGUP_SOURCES_BY_PRODUCT

RANGE_LOOKUPS = ["exact", "gt", "gte", "lt", "lte"]
_LOWER = {"end_time": False, "end_time__gt": True, "end_time__gte": False}
_UPPER = {"end_time": False, "end_time__lt": True, "end_time__lte": False}


class CallFilterSet(filters.FilterSet):
    from_number = NumberPrefixFilter(field_name="from_number_norm")
    to_number = NumberPrefixFilter(field_name="to_number_norm")
    call_direction = StrictChoiceFilter(field_name="call_direction", choices=DIRECTIONS)
    hangup_cause_code = IntFilter(field_name="hangup_cause_code")
    hangup_source = StrictChoiceFilter(field_name="hangup_source", choices=())  # per product
    stir_verification = StrictChoiceFilter(
        field_name="stir_verification", choices=STIR_VERIFICATIONS
    )
    parent_call_uuid = UUIDFilter(field_name="parent_call_uuid")

    class Meta:
        model = Call
        fields = {"bill_duration": RANGE_LOOKUPS, "end_time": RANGE_LOOKUPS}
        filter_overrides = {
            models.PositiveIntegerField: {"filter_class": UIntFilter},
            models.DateTimeField: {"filter_class": UTCDateTimeFilter},
        }

    product = ""
    _built: dict[type, tuple[dict, type]] = {}  # per product: its filters and form class

    def __init__(self, data=None, *args, **kwargs) -> None:
        """django-filter deep-copies every filter and builds a form class on each request,
        and each form deep-copies its fields (a sixth of a list request's Python); ours
        hold no request state, so each product's are built once and shared."""
        built = CallFilterSet._built.get(type(self))
        if built is None:
            super().__init__(data, *args, **kwargs)
            source = self.filters["hangup_source"]  # a copy per product: its words
            source.extra.update(choices=HANGUP_SOURCES_BY_PRODUCT[self.product],
                                aliases=HANGUP_SOURCE_ALIASES[self.product])  # fmt: skip
            form_class = super().get_form_class()
            form_class.base_fields = _SharedFields(form_class.base_fields)
            built = CallFilterSet._built[type(self)] = (self.filters, form_class)
        self.is_bound, self.data = data is not None, data
        self.queryset, self.request, self.form_prefix = None, kwargs.get("request"), None
        self.filters, self._form_class = built

    def get_form_class(self):
        return self._form_class

    def window(self, now: datetime) -> win.Window:
        """The end_time window of this (valid) request; raises WindowError."""
        data = self.form.cleaned_data
        lower = win.tightest(
            [win.Bound(data[k], strict) for k, strict in _LOWER.items() if data.get(k)],
            lower=True,
        )
        upper = win.tightest(
            [win.Bound(data[k], strict) for k, strict in _UPPER.items() if data.get(k)],
            lower=False,
        )
        return win.resolve(lower=lower, upper=upper, now=now)

    def parsed(self) -> tuple[Condition, ...]:
        """The valid request's filters as conditions (end_time goes into the window);
        a QueryError naming the first bad parameter otherwise."""
        if not self.is_valid():
            name, messages = next(iter(self.errors.items()))
            raise QueryError(f"Invalid {name}: {' '.join(messages)}.", name)
        filters = [
            Condition(self.filters[name].field_name, self.filters[name].lookup_expr, value)
            for name, value in self.form.cleaned_data.items()
            if value is not None and not name.startswith("end_time")
        ]
        return (Condition("product", "exact", self.product), *filters)


class _SharedFields(dict):
    """A form's fields that its instances share: Django deep-copies `base_fields` into
    every form so that one may alter its own; ours never do, and validating only reads
    them."""

    def __deepcopy__(self, memo) -> dict:
        return dict(self)


# One filter set per product: the same parameters, each product's own hangup sources.
FILTERSETS = {
    product: type(f"{product.title()}CallFilterSet", (CallFilterSet,), {"product": product})
    for product in PRODUCTS
}
