"""The ingest endpoints in OpenAPI terms (docs/ingest.md is the contract): the bodies each
takes by media type, its answers, and its two query parameters. Documentation only: the
views read their bodies raw and the importer's rules judge each call (a 422 names the
rule), rules no schema can state, so the bodies are described rather than constrained.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
)
from rest_framework import serializers

from calls.ingest.bodies import NDJSON_TYPES
from calls.plivo.schema import PlivoErrorSerializer
from calls.vocabulary.choices import PRODUCTS
from cdrapi.openapi import query_param


class IngestAnswerSerializer(serializers.Serializer):
    """One switch CDR's outcome: 201 stored, 200 duplicate (both: delivered)."""

    api_id = serializers.UUIDField()
    status = serializers.ChoiceField(["stored", "duplicate"])
    call_uuid = serializers.UUIDField()


class BatchRecordSerializer(serializers.Serializer):
    index = serializers.IntegerField(min_value=0)
    status = serializers.ChoiceField(["stored", "duplicate", "rejected"])
    # As the record gave it when refused: not always a UUID.
    call_uuid = serializers.CharField(allow_null=True)
    reason = serializers.CharField(required=False, help_text="Why a record was rejected.")


class BatchAnswerSerializer(serializers.Serializer):
    """Every record's outcome, in order, and the counts."""

    api_id = serializers.UUIDField()
    stored = serializers.IntegerField(min_value=0)
    duplicate = serializers.IntegerField(min_value=0)
    rejected = serializers.IntegerField(min_value=0)
    records = BatchRecordSerializer(many=True)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(PlivoErrorSerializer, description=description)


_ERRORS = {
    400: _error("The body cannot be read (not UTF-8, not JSON, a broken form or base64, no "
                "cdr field), or an unknown query parameter or product."),
    401: _error("No, malformed, unknown, expired or revoked credential."),
    403: _error("A read credential (an auth token, a token without calls.write)."),
    413: _error("The body, or the batch's record count, is over the endpoint's limit."),
    429: _error("Locked out after failed authentications; see Retry-After."),
    503: _error("The database is unavailable; nothing was stored. See Retry-After."),
}  # fmt: skip
_REFUSED = "The call was refused: the reason names the rule (the switch keeps the CDR)."
_BATCH = {
    200: OpenApiResponse(BatchAnswerSerializer, description="No record was refused."),
    422: OpenApiResponse(
        BatchAnswerSerializer, description="Some records were refused; the others are stored."
    ),
}
PRODUCT = query_param(
    "product", str, "Every call's product (default: the format's; docs/ingest.md).", enum=PRODUCTS
)
UUID = query_param(
    "uuid", str, "mod_json_cdr's ?uuid=: the CDR's variables.uuid (both given and different: 422)."
)

_OBJECT = {"type": "object", "additionalProperties": True}
_OBJECTS = {"oneOf": [_OBJECT, {"type": "array", "items": _OBJECT}]}
_LINES = {"type": "string", "description": "JSON lines: one JSON object a line."}
_FORM = {
    "type": "object",
    "properties": {"cdr": {"type": "string"}},
    "required": ["cdr"],
}
_KAMAILIO_EXAMPLE = OpenApiExample(
    "An answered call",
    value={
        "start_time": "1795183200.000", "end_time": "1795183262.500", "duration": "62.500",
        "call_id": "a84b4c76e66710@203.0.113.7", "from_tag": "t1",
        "from_user": "+14155550100", "to_user": "442071234567", "sip_code": "200",
        "sip_reason": "OK", "answered": "true", "setup_ts": "1795183200.000000",
        "answer_ts": "1795183202.500000",
    },
    request_only=True,
    media_type="application/json",
)  # fmt: skip
_CALL_EXAMPLE = OpenApiExample(
    "A call in Plivo names",
    value={
        "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8", "call_direction": "outbound",
        "from_number": "+14158572518", "to_number": "442071234567",
        "initiation_time": "2026-11-20 14:02:58", "answer_time": "2026-11-20 14:03:11",
        "end_time": "2026-11-20 14:18:35", "hangup_cause_code": 4000,
    },
    request_only=True,
    media_type="application/json",
)  # fmt: skip

FREESWITCH = {
    "summary": "Store one FreeSWITCH CDR (mod_json_cdr)",
    "description": "The CDR as mod_json_cdr posts it: the JSON document (encode=false), or "
    "cdr=<document> URL-encoded (encode=true) or base64 (encode=base64). The answer comes "
    "after the commit.",
    "parameters": [PRODUCT, UUID],
    "request": {
        "application/json": {**_OBJECT, "description": "mod_json_cdr's document."},
        "application/x-www-form-urlencoded": _FORM,
        "application/x-www-form-base64-encoded": _FORM,
    },
    "responses": {
        201: OpenApiResponse(IngestAnswerSerializer, description="Stored (committed)."),
        200: OpenApiResponse(IngestAnswerSerializer, description="A duplicate of a stored call."),
        422: _error(_REFUSED),
        **_ERRORS,
    },
}
KAMAILIO = {
    "summary": "Store Kamailio acc_json CDRs",
    "description": "One acc_json record as http_client posts it (answered like the FreeSWITCH "
    "endpoint); an array or JSON lines are answered record by record, like a batch.",
    "parameters": [PRODUCT],
    "request": {
        "application/json": {**_OBJECTS, "description": "acc_json records (docs/kamailio.md)."},
        **dict.fromkeys(NDJSON_TYPES, _LINES),
    },
    "examples": [_KAMAILIO_EXAMPLE],
    "responses": {
        201: OpenApiResponse(IngestAnswerSerializer, description="One record, stored."),
        200: OpenApiResponse(
            PolymorphicProxySerializer(
                "KamailioAnswer", [IngestAnswerSerializer, BatchAnswerSerializer], None
            ),
            description="One record, a duplicate; or several, none refused.",
        ),
        422: OpenApiResponse(
            PolymorphicProxySerializer(
                "KamailioRefusal", [PlivoErrorSerializer, BatchAnswerSerializer], None
            ),
            description=f"One record: {_REFUSED} Several: some were refused, the others stored.",
        ),
        **_ERRORS,
    },
}
CALLS = {
    "summary": "Store records in import_calls' field names",
    "description": "Plivo names (a record with call_uuid) or CarrierX names (with dr_sid), "
    "plus an optional account (an auth id): one object, an array, or JSON lines. Stored in "
    "one transaction before the answer; re-posting answers them duplicate.",
    "parameters": [PRODUCT],
    "request": {
        "application/json": {**_OBJECTS, "description": "Call records."},
        **dict.fromkeys(NDJSON_TYPES, _LINES),
    },
    "examples": [_CALL_EXAMPLE],
    "responses": {**_BATCH, **_ERRORS},
}
