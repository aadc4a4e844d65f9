"""django-filter filters built on the strict parsers of calls/fields.py."""

import django_filters

from calls import fields


class UIntFilter(django_filters.Filter):
    field_class = fields.UIntField


class IntFilter(django_filters.Filter):
    field_class = fields.IntField


class UTCDateTimeFilter(django_filters.Filter):
    field_class = fields.UTCDateTimeField


class UUIDFilter(django_filters.Filter):
    field_class = fields.UUIDField


class StrictChoiceFilter(django_filters.Filter):
    field_class = fields.StrictChoiceField


class NumberPrefixFilter(django_filters.Filter):
    """Prefix match on a normalised number column (`+` ignored on both sides)."""

    field_class = fields.NumberPrefixField

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("lookup_expr", "startswith")
        super().__init__(**kwargs)
