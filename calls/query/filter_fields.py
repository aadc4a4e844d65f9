"""The kinds of value a filter parameter takes, as django-filter filters: each parses with
one of the strict parsers of values.py (its form field), says in OpenAPI terms exactly
what it takes (`schema`, from calls/query/patterns.py), and restricts the calls by one
core Condition. A face's parameter table (calls/plivo/parameters.py) picks one per
parameter."""

from __future__ import annotations

import django_filters
from django import forms

from calls.query import patterns, values
from calls.query.core import Condition


class FreshCopies(dict):
    """A class's filters or form fields, which django-filter and Django deep-copy into
    each filter set and form, so that an instance may hold or alter its own. Nothing
    alters ours once built (an instance only sets a filter's `parent` and `model`), so
    each instance gets a fresh shallow copy of each: as much its own, and without the
    deep copy of widgets and validators that was most of the cost of building a form."""

    def __deepcopy__(self, memo) -> dict:
        return {name: _fresh(item) for name, item in self.items()}


def _fresh(obj):
    """A new object with the same attributes (copy.copy, without its generic machinery)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


class _ParsedField(forms.Field):
    """A form field whose to_python is one of the parsers above."""

    parser = staticmethod(str)

    def to_python(self, value):
        if value is None:  # absent
            return None
        if value == "":  # present but empty: a client bug, not "no filter"
            raise forms.ValidationError("the value is empty", code="empty")
        try:
            return self.parser(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class UIntField(_ParsedField):
    parser = staticmethod(values.parse_uint)


class IntField(_ParsedField):
    parser = staticmethod(values.parse_int)


class UTCDateTimeField(_ParsedField):
    parser = staticmethod(values.parse_utc_datetime)


class UUIDField(_ParsedField):
    parser = staticmethod(values.parse_uuid)


class NumberPrefixField(_ParsedField):
    parser = staticmethod(values.parse_number_prefix)


class StrictChoiceField(_ParsedField):
    """A choice whose error lists the accepted values; `aliases` maps other spellings a
    client may send to the stored value."""

    def __init__(self, *, choices: tuple[str, ...], aliases: dict | None = None, **kwargs) -> None:
        self.choices, self.aliases = choices, aliases or {}
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is None:
            return None
        value = self.aliases.get(value, value)
        if value not in self.choices:
            allowed = ", ".join(self.choices)
            raise forms.ValidationError(f"expected one of {allowed}; got {value[:40]!r}")
        return value


class ParsedFilter(django_filters.Filter):
    """A filter whose value is parsed strictly and which restricts by one Condition.

    `dimension` names the hourly counts' dimension the condition restricts, when those
    counts can answer it (calls/query/core.py); `window` marks a bound of the end_time
    window, which the core applies as a window rather than as a condition.
    """

    schema: dict = {}  # the OpenAPI schema of one value (a subclass's)

    def __init__(self, *, dimension: str | None = None, window: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dimension, self.window = dimension, window

    def condition(self, value) -> Condition:
        return Condition(self.field_name, self.lookup_expr, value, dimension=self.dimension)

    def filter(self, qs, value):
        return qs if value is None else self.condition(value).apply(qs, 0)


class UIntFilter(ParsedFilter):
    field_class = UIntField
    schema = {"type": "integer", "minimum": 0, "maximum": values.INT32_MAX}


class IntFilter(ParsedFilter):
    field_class = IntField
    schema = {"type": "integer", "minimum": -values.INT32_MAX, "maximum": values.INT32_MAX}


class UTCDateTimeFilter(ParsedFilter):
    field_class = UTCDateTimeField
    schema = {"type": "string", "pattern": patterns.anchored(patterns.UTC_DATETIME)}


class UUIDFilter(ParsedFilter):
    field_class = UUIDField
    schema = {"type": "string", "pattern": patterns.anchored(patterns.UUID)}


class NumberPrefixFilter(ParsedFilter):
    """Prefix match on a normalised number column (`+` ignored on both sides)."""

    field_class = NumberPrefixField
    schema = {
        "type": "string",
        "pattern": patterns.anchored(patterns.NUMBER),
        "maxLength": values.NUMBER_MAX_LENGTH,
    }


class StrictChoiceFilter(ParsedFilter):
    field_class = StrictChoiceField

    @property
    def schema(self) -> dict:
        """The accepted words and their aliases (sorted, as drf-spectacular sorts an enum)."""
        words = [*self.extra["choices"], *self.extra.get("aliases", {})]
        return {"type": "string", "enum": sorted(words, key=str)}
