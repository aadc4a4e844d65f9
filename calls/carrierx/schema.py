"""The CarrierX face in OpenAPI terms: documentation-only serializers and parameters."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from calls.carrierx.cdr import FIELDS
from cdrapi.openapi import query_param as _q

STAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
UUID = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"


def _field(kind: str) -> serializers.Field:
    # Every field may be left out by include_fields/exclude_fields, so none is required.
    common = {"required": False, "allow_null": True}
    if kind == "datetime":
        return serializers.RegexField(STAMP, **common)
    if kind in {"decimal", "intstr"}:
        return serializers.RegexField(DECIMAL, **common)
    if kind == "uuid":
        return serializers.UUIDField(**common)
    if kind == "bool":
        return serializers.BooleanField(required=False)
    if kind == "int":
        return serializers.IntegerField(required=False)
    if kind == "json":
        return serializers.DictField(required=False)
    return serializers.CharField(**common)


CdrSerializer = type(
    "CdrSerializer",
    (serializers.Serializer,),
    {name: _field(kind) for name, (_, kind) in FIELDS.items()},
)


class PaginationSerializer(serializers.Serializer):
    # Relative paths, or absolute under PUBLIC_BASE_URL: a URI reference either way.
    next = serializers.CharField(required=False, help_text="A URI reference.")
    previous = serializers.CharField(required=False, help_text="A URI reference.")


class CdrListSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0)
    has_more = serializers.BooleanField()
    items = CdrSerializer(many=True)
    limit = serializers.IntegerField(min_value=1, max_value=1000)
    offset = serializers.IntegerField(min_value=0)
    pagination = PaginationSerializer()
    total = serializers.IntegerField(allow_null=True, min_value=0)


class CarrierXErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class CarrierXErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    errors = CarrierXErrorItemSerializer(many=True)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(CarrierXErrorSerializer, description=description)


ERRORS = {
    400: _error("A parameter, or part of filter, does not fit; errors[].field names it."),
    401: _error("Missing, unknown, expired or revoked token."),
    403: _error("The token lacks calls.read / calls.manage."),
    404: _error("No such CDR visible to this token (or past retention)."),
    405: _error("Only GET is served."),
    429: _error("Rate limited; see Retry-After."),
    503: _error("The database is unavailable; see Retry-After."),
}


FIELD_LIST = r"^[a-z_]+(,[a-z_]+)*$"
LIST_PARAMETERS = [
    _q("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "Page size, default 10."),
    _q("offset", {"type": "integer", "minimum": 0, "maximum": 2147483647},
       "Rows to skip; not with after/before (except 0)."),
    _q("after", {"type": "string", "pattern": UUID}, "A dr_sid: the page after it."),
    _q("before", {"type": "string", "pattern": UUID}, "A dr_sid: the page before it."),
    _q("order", {"type": "string", "pattern": r"^[a-z_]+([ +](asc|desc|ASC|DESC))?$"},
       "<field> asc|desc; only date_stop with after/before."),
    _q("filter", str, "field op value [and field op value ...] (README)."),
    _q("include_fields", {"type": "string", "pattern": FIELD_LIST}, "Fields to keep."),
    _q("exclude_fields", {"type": "string", "pattern": FIELD_LIST}, "Fields to drop."),
    _q("total", str, "true to count the matching CDRs.", enum=("true", "false")),
]  # fmt: skip
DETAIL_PARAMETERS = LIST_PARAMETERS[-3:-1]
