"""The CarrierX face in OpenAPI terms: documentation-only serializers and parameters.

Each parameter's schema admits exactly the values the server takes on their own
(calls/query/patterns.py, calls/carrierx/filter_pattern.py); what depends on other parameters,
the clock or stored data is said in the descriptions, from calls/query/rules.py.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers

from calls.carrierx import filter_pattern
from calls.carrierx.cdr import FIELDS, NAMES
from calls.carrierx.filter_language import MAX_CONDITIONS, MAX_LENGTH
from calls.query import patterns, rules
from calls.query.values import INT32_MAX
from cdrapi.openapi import describe
from cdrapi.openapi import query_param as _q

STAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
UUID = patterns.anchored(patterns.UUID)


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


@extend_schema_field({"type": "string", "format": "uri-reference"})
class _Link(serializers.CharField):
    """An absolute URL when PUBLIC_BASE_URL is set, else a path (never from the Host header)."""


class PaginationSerializer(serializers.Serializer):
    next = _Link(required=False)
    previous = _Link(required=False)


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
    400: _error("A parameter, or part of filter, does not fit, or breaks a rule its "
                "description gives; errors[].field names it."),
    401: _error("Missing, unknown, expired or revoked token."),
    403: _error("The token lacks calls.read / calls.manage."),
    404: _error("No such CDR visible to this token (or past retention)."),
    405: _error("Only GET is served."),
    414: _error(rules.QUERY_TOO_LONG.says),
    429: _error("Rate limited; see Retry-After."),
    503: _error("The database is unavailable; see Retry-After."),
}  # fmt: skip

ORDERABLE = [name for name, (_, kind) in FIELDS.items() if kind != "json"]
ORDER = rf"^(?:{'|'.join(ORDERABLE)})(?:[ +](?:asc|desc|ASC|DESC))?$"
# The pattern is the whole language but for two size caps, which the description gives
# (calls/carrierx/filter_pattern.py says why). The format names it for fuzzers.
FILTER = {
    "type": "string",
    "format": "carrierx-filter",
    "pattern": patterns.anchored(filter_pattern.FILTER),
}
FIELD_LIST = {"type": "array", "items": {"type": "string", "enum": list(NAMES)}, "minItems": 1}
_KEYSET = (rules.AFTER_AND_BEFORE, rules.OFFSET_WITH_KEYSET, rules.ORDER_WITH_KEYSET,
           rules.KEYSET_NOT_VISIBLE)  # fmt: skip


def _fields_param(name: str, description: str) -> OpenApiParameter:
    # Comma-separated: include_fields=dr_sid,date_stop.
    return _q(name, FIELD_LIST, description, style="form", explode=False)


LIST_PARAMETERS = [
    _q("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "Page size, default 10."),
    _q("offset", {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
       describe("Rows to skip.", rules.OFFSET_WITH_KEYSET)),
    _q("after", {"type": "string", "pattern": UUID},
       describe("A dr_sid: the page after it.", *_KEYSET)),
    _q("before", {"type": "string", "pattern": UUID},
       describe("A dr_sid: the page before it.", *_KEYSET)),
    _q("order", {"type": "string", "pattern": ORDER},
       describe("<field> asc|desc (a space or +), default date_stop desc; any field but "
                "user_data.", rules.ORDER_WITH_KEYSET)),
    _q("filter", FILTER,
       describe("field op value [and field op value ...] (docs/carrierx.md, Filter language); "
                f"at most {MAX_CONDITIONS} conditions and {MAX_LENGTH} characters, limits the "
                "pattern leaves out.", rules.FILTER_TOO_WIDE, rules.FILTER_BEFORE_RETENTION)),
    _fields_param("include_fields", "Fields to keep (comma-separated)."),
    _fields_param("exclude_fields", "Fields to drop (comma-separated)."),
    _q("total", str, "true to count the matching CDRs.", enum=("true", "false")),
]  # fmt: skip
DETAIL_PARAMETERS = [
    OpenApiParameter("dr_sid", {"type": "string", "pattern": UUID}, OpenApiParameter.PATH,
                     description="The CDR; one not visible to the token, or older than "
                     f"{settings.CALLS_RETENTION_DAYS} days (CALLS_RETENTION_DAYS), is a 404."),
    *LIST_PARAMETERS[-3:-1],
]  # fmt: skip
