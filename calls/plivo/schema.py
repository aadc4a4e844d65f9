"""The Plivo face in OpenAPI terms: documentation-only serializers and parameters.

Each parameter's schema admits exactly the values the server's parser takes: a filter's
is its kind's (calls/query/filter_fields.py, from calls/query/patterns.py), with the
description in the parameter table (calls/plivo/parameters.py); what depends on other
parameters, the clock or stored data is said in the descriptions, from
calls/query/rules.py.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from calls.plivo import parameters
from calls.query import patterns, rules
from calls.query.values import INT32_MAX
from calls.vocabulary.choices import (
    ATTESTATIONS,
    DIRECTIONS,
    STIR_VERIFICATIONS,
    TRANSPORTS,
    VOICE,
    ZENTRUNK,
)
from calls.vocabulary.hangup import HANGUP_SOURCES_BY_PRODUCT
from cdrapi.openapi import describe
from cdrapi.openapi import query_param as _q

TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$"
UTC_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"  # Zentrunk objects
MONEY = r"^-?[0-9]+\.[0-9]{5}$"
UUID = patterns.anchored(patterns.UUID)
AUTH_ID = r"^[MS]A[A-Z0-9]{18}$"


class PlivoCallSerializer(serializers.Serializer):
    """A Voice call (/Call/)."""

    answer_time = serializers.RegexField(TIMESTAMP, allow_null=True)
    bill_duration = serializers.IntegerField(min_value=0)
    billed_duration = serializers.IntegerField(min_value=0)
    call_direction = serializers.ChoiceField(DIRECTIONS)
    call_duration = serializers.IntegerField(min_value=0)
    call_uuid = serializers.UUIDField()
    end_time = serializers.RegexField(TIMESTAMP)
    from_number = serializers.CharField()
    hangup_cause_code = serializers.IntegerField()
    hangup_cause_name = serializers.CharField()
    hangup_source = serializers.ChoiceField(HANGUP_SOURCES_BY_PRODUCT[VOICE])
    initiation_time = serializers.RegexField(TIMESTAMP)
    parent_call_uuid = serializers.UUIDField(allow_null=True)
    resource_uri = serializers.CharField()
    source_ip = serializers.CharField(allow_null=True)
    stir_verification = serializers.ChoiceField(STIR_VERIFICATIONS)
    to_number = serializers.CharField()
    total_amount = serializers.RegexField(MONEY)
    total_rate = serializers.RegexField(MONEY)


class ZentrunkCallSerializer(PlivoCallSerializer):
    """A SIP-trunking call (/Zentrunk/Call/): UTC times without an offset, trunk fields."""

    answer_time = serializers.RegexField(UTC_TIMESTAMP, allow_null=True)
    end_time = serializers.RegexField(UTC_TIMESTAMP)
    initiation_time = serializers.RegexField(UTC_TIMESTAMP)
    hangup_source = serializers.ChoiceField(HANGUP_SOURCES_BY_PRODUCT[ZENTRUNK])
    attestation_indicator = serializers.ChoiceField(ATTESTATIONS, allow_null=True)
    from_country = serializers.RegexField(r"^[A-Z]{2}$", allow_null=True)
    to_country = serializers.RegexField(r"^[A-Z]{2}$", allow_null=True)
    secure_trunking = serializers.BooleanField()
    secure_trunking_rate = serializers.RegexField(MONEY, allow_null=True)
    srtp = serializers.BooleanField()
    transport_protocol = serializers.ChoiceField(TRANSPORTS, allow_null=True)
    trunk_domain = serializers.CharField(allow_null=True)
    source_ip = None  # a Voice field: Plivo's SIP-trunking object has none


class PlivoCallDetailSerializer(PlivoCallSerializer):
    api_id = serializers.UUIDField()


class ZentrunkCallDetailSerializer(ZentrunkCallSerializer):
    api_id = serializers.UUIDField()


class PlivoMetaSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=parameters.MAX_LIMIT)
    next = serializers.CharField(allow_null=True)
    offset = serializers.IntegerField(min_value=0)
    previous = serializers.CharField(allow_null=True)
    total_count = serializers.IntegerField(min_value=0)


class PlivoCallListSerializer(serializers.Serializer):
    api_id = serializers.UUIDField()
    meta = PlivoMetaSerializer()
    objects = PlivoCallSerializer(many=True)


class ZentrunkCallListSerializer(serializers.Serializer):
    api_id = serializers.UUIDField()
    meta = PlivoMetaSerializer()
    objects = ZentrunkCallSerializer(many=True)


SERIALIZERS = {  # product -> (list, detail)
    VOICE: (PlivoCallListSerializer, PlivoCallDetailSerializer),
    ZENTRUNK: (ZentrunkCallListSerializer, ZentrunkCallDetailSerializer),
}


class PlivoErrorSerializer(serializers.Serializer):
    api_id = serializers.UUIDField()
    error = serializers.CharField()


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(PlivoErrorSerializer, description=description)


ERRORS = {
    400: _error("A parameter is invalid or unknown, or breaks a rule its description gives; "
                "`error` names it."),
    401: _error("Missing or wrong credentials."),
    404: _error("The account in the path is not yours, or no such call."),
    405: _error("Only GET is served."),
    414: _error(rules.QUERY_TOO_LONG.says),
    429: _error("Rate limited; see Retry-After."),
    503: _error("The database is unavailable; see Retry-After."),
}  # fmt: skip


def _pattern(pattern: str, max_length: int | None = None) -> dict:
    spec = {"type": "string", "pattern": pattern}
    if max_length:
        spec["maxLength"] = max_length
    return spec


def _uint(low: int = 0, high: int = INT32_MAX) -> dict:
    return {"type": "integer", "minimum": low, "maximum": high}


AUTH_ID_PARAMETER = OpenApiParameter(
    "auth_id",
    _pattern(AUTH_ID),
    OpenApiParameter.PATH,
    description="The caller's auth id or one of an account below it; any other, existing "
    "or not, is a 404.",
)
_PAGING_PARAMETERS = [  # after the filters: list_parameters()
    _q("subaccount", _pattern(r"^SA[A-Z0-9]{18}$"),
       describe("One subaccount below the path account; another is a 404.",
                rules.SUBACCOUNT_CALLER)),
    _q("limit", _uint(1, parameters.MAX_LIMIT), f"Page size, default {parameters.MAX_LIMIT}."),
    _q("offset", _uint(), describe("Rows to skip.", rules.CURSOR_OFFSET)),
    # No NUL: the middleware refuses one in any parameter (PostgreSQL text cannot hold it).
    _q("cursor", {"type": "string", "minLength": 1, "pattern": r"^[^\x00]+$"},
       describe("The opaque position in meta.next / meta.previous.", rules.CURSOR_ALTERED,
                rules.CURSOR_OTHER_QUERY, rules.CURSOR_EXPIRED, rules.CURSOR_OFFSET)),
]  # fmt: skip
DETAIL_PARAMETERS = [
    AUTH_ID_PARAMETER,
    OpenApiParameter(
        "call_uuid", _pattern(UUID), OpenApiParameter.PATH,
        description=f"The call; a call older than {settings.CALLS_RETENTION_DAYS} days "
        "(CALLS_RETENTION_DAYS), or not visible, is a 404.",
    ),
    _q("call_uuid", _pattern(UUID),
       describe("The official SDKs repeat the path's call_uuid here.", rules.CALL_UUID_MISMATCH)),
]  # fmt: skip
CALL_EXAMPLE = OpenApiExample(
    "A call",
    value={
        "answer_time": "2026-11-20 14:03:11+00:00", "bill_duration": 924,
        "billed_duration": 960, "call_direction": "outbound", "call_duration": 937,
        "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8",
        "end_time": "2026-11-20 14:18:35+00:00", "from_number": "+14158572518",
        "hangup_cause_code": 4000, "hangup_cause_name": "Normal Hangup",
        "hangup_source": "Callee", "initiation_time": "2026-11-20 14:02:58+00:00",
        "parent_call_uuid": None,
        "resource_uri": "/v1/Account/MAXXXXXXXXXXXXXXXXXX/Call/eba53b9e-8fbd-45c1-9444-"
        "696d2172fbc8/",
        "stir_verification": "Verified", "to_number": "14153268174",
        "total_amount": "0.13600", "total_rate": "0.00850",
        "api_id": "3f1b4f4e-0d7a-4f5b-9c53-1c2a8e9d7b10",
    },
    response_only=True,
)  # fmt: skip


def list_parameters(product: str) -> list[OpenApiParameter]:
    """The list parameters: the path's account, the product's filters (in its own words:
    hangup_source), subaccount and paging."""
    rows = parameters.by_name(product)
    filters = [_q(name, f.schema, rows[name].description)
               for name, f in parameters.filters(product).items()]  # fmt: skip
    return [AUTH_ID_PARAMETER, *filters, *_PAGING_PARAMETERS]
