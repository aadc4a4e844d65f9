"""Form fields and django-filter filters built on the strict parsers of values.py: what a
face's filter set declares (calls/plivo/conditions.py)."""

import django_filters
from django import forms

from calls.query import values


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


class UIntFilter(django_filters.Filter):
    field_class = UIntField


class IntFilter(django_filters.Filter):
    field_class = IntField


class UTCDateTimeFilter(django_filters.Filter):
    field_class = UTCDateTimeField


class UUIDFilter(django_filters.Filter):
    field_class = UUIDField


class StrictChoiceFilter(django_filters.Filter):
    field_class = StrictChoiceField


class NumberPrefixFilter(django_filters.Filter):
    """Prefix match on a normalised number column (`+` ignored on both sides)."""

    field_class = NumberPrefixField

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("lookup_expr", "startswith")
        super().__init__(**kwargs)
