"""The Plivo list filters, one row each (docs/plivo.md, "List parameters").

Everything else is derived from this table: the filter sets that parse and apply them
(calls/plivo/conditions.py), their OpenAPI parameters (calls/plivo/schema.py), the hourly
counts' dimensions the core may answer them from (calls/query/core.py) and the test
catalogue (tests/api/test_plivo_parameters.py). A new filter is a new row here, plus a
test that it finds the right calls; docs/plivo.md is its contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from calls.query import rules
from calls.query.filter_fields import (
    IntFilter,
    NumberPrefixFilter,
    ParsedFilter,
    StrictChoiceFilter,
    UIntFilter,
    UTCDateTimeFilter,
    UUIDFilter,
)
from calls.vocabulary.choices import DIRECTIONS, PRODUCTS, STIR_VERIFICATIONS
from calls.vocabulary.hangup import HANGUP_SOURCE_ALIASES, HANGUP_SOURCES_BY_PRODUCT
from cdrapi.openapi import describe

# The paging parameters every list takes besides its filters (calls/plivo/views.py).
MAX_LIMIT = 20
PAGING = ("limit", "offset", "cursor")
RANGE = ("exact", "gt", "gte", "lt", "lte")


@dataclass(frozen=True)
class Parameter:
    """A filter: how its value is parsed and documented (`kind`), what it restricts
    (`column`, compared by each of `lookups`), and on which products' paths.

    The first lookup is the parameter's own name, each other `name__lookup` (Django's
    spelling: `bill_duration__gte`). `choices` and `aliases` are a choice's words, or
    each product's (a mapping by product). `dimension`: the hourly counts' dimension it
    restricts (calls/counting/hourly.py), if they can answer it. `window`: a bound of the
    end_time window (calls/query/window.py) rather than a condition.
    """

    name: str
    kind: type[ParsedFilter]
    column: str
    description: str
    lookups: tuple[str, ...] = ("exact",)
    choices: tuple[str, ...] | Mapping[str, tuple[str, ...]] = ()
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    dimension: str | None = None
    window: bool = False
    products: tuple[str, ...] = PRODUCTS

    @property
    def names(self) -> tuple[str, ...]:
        """The names a client sends, one per lookup."""
        return tuple(self.name if at == 0 else f"{self.name}__{lookup}"
                     for at, lookup in enumerate(self.lookups))  # fmt: skip

    def filters(self, product: str) -> dict[str, ParsedFilter]:
        """This parameter's filters on one product's path, by name."""
        if product not in self.products:
            return {}
        options = {}
        if self.choices:
            choices = self.choices
            options["choices"] = choices[product] if isinstance(choices, Mapping) else choices
            if self.aliases:
                options["aliases"] = self.aliases[product]
        return {
            name: self.kind(field_name=self.column, lookup_expr=lookup,
                            dimension=self.dimension, window=self.window, **options)
            for name, lookup in zip(self.names, self.lookups, strict=True)
        }  # fmt: skip


_WINDOW = describe(
    "UTC, YYYY-MM-DD HH:MM[:ss[.uuuuuu]] (T for the space), a real date from year 1 to "
    "9999. Without any end_time bound: the last 7 days; a lower bound alone runs to now, an "
    "upper bound alone covers the 7 days before it. gt/lt exclusive, gte/lte inclusive.",
    rules.WINDOW_TOO_WIDE,
    rules.WINDOW_REVERSED,
    rules.WINDOW_IN_FUTURE,
    rules.WINDOW_BEFORE_RETENTION,
)

# In this order the form validates them: with several bad values, the first is named.
PARAMETERS = (
    Parameter("bill_duration", UIntFilter, "bill_duration", "Billed seconds.", RANGE,
              dimension="answered"),
    Parameter("end_time", UTCDateTimeFilter, "end_time", _WINDOW, RANGE, window=True),
    Parameter("from_number", NumberPrefixFilter, "from_number_norm",
              "Caller's number prefix; a leading + is ignored.", ("startswith",)),
    Parameter("to_number", NumberPrefixFilter, "to_number_norm",
              "Called number prefix; a leading + is ignored.", ("startswith",)),
    Parameter("call_direction", StrictChoiceFilter, "call_direction", "inbound or outbound.",
              choices=DIRECTIONS, dimension="call_direction"),
    Parameter("hangup_cause_code", IntFilter, "hangup_cause_code",
              "Hangup cause code (see the catalogue)."),
    Parameter("hangup_source", StrictChoiceFilter, "hangup_source",
              "Who hung up, in the product's words.", choices=HANGUP_SOURCES_BY_PRODUCT,
              aliases=HANGUP_SOURCE_ALIASES),
    Parameter("stir_verification", StrictChoiceFilter, "stir_verification",
              "STIR/SHAKEN verification.", choices=STIR_VERIFICATIONS),
    Parameter("parent_call_uuid", UUIDFilter, "parent_call_uuid", "Child legs of this call."),
)  # fmt: skip


def filters(product: str) -> dict[str, ParsedFilter]:
    """Every filter of one product's list, by name, in the table's order."""
    return {name: f for p in PARAMETERS for name, f in p.filters(product).items()}


def by_name(product: str) -> dict[str, Parameter]:
    """The row each filter name of one product's list comes from."""
    return {name: p for p in PARAMETERS if product in p.products for name in p.names}
