"""The Plivo face in OpenAPI terms: documentation-only serializers and parameters.

The patterns are the ones calls/query/values.py enforces, so fuzzing from this schema probes
exactly the boundary between accepted and refused input.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from calls.models import DIRECTIONS, HANGUP_SOURCES, STIR_VERIFICATIONS
from cdrapi.openapi import query_param as _q

TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$"
FILTER_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?$"
NUMBER = r"^(\+?[0-9]+|[A-Za-z0-9\-_.!~*'()&=+$,;?/]+)$"
UUID = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"


class PlivoCallSerializer(serializers.Serializer):
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
    hangup_source = serializers.ChoiceField(HANGUP_SOURCES)
    initiation_time = serializers.RegexField(TIMESTAMP)
    parent_call_uuid = serializers.UUIDField(allow_null=True)
    resource_uri = serializers.CharField()
    stir_verification = serializers.ChoiceField(STIR_VERIFICATIONS)
    to_number = serializers.CharField()
    total_amount = serializers.RegexField(r"^-?[0-9]+\.[0-9]{5}$")
    total_rate = serializers.RegexField(r"^-?[0-9]+\.[0-9]{5}$")


class PlivoCallDetailSerializer(PlivoCallSerializer):
    api_id = serializers.UUIDField()


class PlivoMetaSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=20)
    next = serializers.CharField(allow_null=True)
    offset = serializers.IntegerField(min_value=0)
    previous = serializers.CharField(allow_null=True)
    total_count = serializers.IntegerField(min_value=0)


class PlivoCallListSerializer(serializers.Serializer):
    api_id = serializers.UUIDField()
    meta = PlivoMetaSerializer()
    objects = PlivoCallSerializer(many=True)


class PlivoErrorSerializer(serializers.Serializer):
    api_id = serializers.UUIDField()
    error = serializers.CharField()


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(PlivoErrorSerializer, description=description)


ERRORS = {
    400: _error("A parameter is invalid or unknown; `error` names it."),
    401: _error("Missing or wrong credentials."),
    404: _error("The account in the path is not yours, or no such call."),
    405: _error("Only GET is served."),
    429: _error("Rate limited; see Retry-After."),
    503: _error("The database is unavailable; see Retry-After."),
}


def _pattern(pattern: str, max_length: int | None = None) -> dict:
    spec = {"type": "string", "pattern": pattern}
    if max_length:
        spec["maxLength"] = max_length
    return spec


RANGES = ("", "__gt", "__gte", "__lt", "__lte")
LIST_PARAMETERS = [
    _q("from_number", _pattern(NUMBER, 128), "Caller's number prefix; a leading + is ignored."),
    _q("to_number", _pattern(NUMBER, 128), "Called number prefix; a leading + is ignored."),
    _q("call_direction", str, "inbound or outbound.", enum=DIRECTIONS),
    *[_q(f"bill_duration{op}", {"type": "integer", "minimum": 0, "maximum": 2147483647},
         "Billed seconds.") for op in RANGES],
    *[_q(f"end_time{op}", _pattern(FILTER_TIME),
         "UTC, YYYY-MM-DD HH:MM[:ss[.uuuuuu]]. Without any end_time bound: the last 7 days; "
         "at most 30 days; nothing older than 90 days.") for op in RANGES],
    _q("hangup_cause_code", {"type": "integer", "minimum": -2147483647, "maximum": 2147483647},
       "Hangup cause code (see the catalogue)."),
    _q("hangup_source", str, "Who hung up.", enum=HANGUP_SOURCES),
    _q("stir_verification", str, "STIR/SHAKEN verification.", enum=STIR_VERIFICATIONS),
    _q("parent_call_uuid", _pattern(UUID), "Child legs of this call."),
    _q("subaccount", _pattern(r"^SA[A-Z0-9]{18}$"), "Main accounts only: one subaccount."),
    _q("limit", {"type": "integer", "minimum": 1, "maximum": 20}, "Page size, default 20."),
    _q("offset", {"type": "integer", "minimum": 0, "maximum": 2147483647}, "Rows to skip."),
    _q("cursor", str, "The opaque position in meta.next / meta.previous."),
]  # fmt: skip
DETAIL_PARAMETERS = [
    _q("call_uuid", _pattern(UUID), "The official SDKs repeat the path's call_uuid here."),
]
CALL_EXAMPLE = OpenApiExample(
    "A call",
    value={
        "answer_time": "2026-11-20 14:03:11+00:00", "bill_duration": 924,
        "billed_duration": 960, "call_direction": "outbound", "call_duration": 937,
        "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8",
        "end_time": "2026-11-20 14:18:35+00:00", "from_number": "+14158572518",
        "hangup_cause_code": 4000, "hangup_cause_name": "Normal Hangup",
        "hangup_source": "customer", "initiation_time": "2026-11-20 14:02:58+00:00",
        "parent_call_uuid": None,
        "resource_uri": "/v1/Account/MAXXXXXXXXXXXXXXXXXX/Call/eba53b9e-8fbd-45c1-9444-"
        "696d2172fbc8/",
        "stir_verification": "Verified", "to_number": "14153268174",
        "total_amount": "0.13600", "total_rate": "0.00850",
        "api_id": "3f1b4f4e-0d7a-4f5b-9c53-1c2a8e9d7b10",
    },
    response_only=True,
)  # fmt: skip
