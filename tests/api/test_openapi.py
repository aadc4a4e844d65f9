"""The OpenAPI schema: served, valid, real responses conform to it, and its parameters
admit exactly what the server takes."""

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from drf_spectacular.validation import validate_schema

from calls.carrierx.cdr import NAMES
from calls.ingest import fs_sample
from calls.ingest.bodies import NDJSON_TYPES
from calls.query import rules
from cdrapi.wsgi import application
from tests.api.conftest import basic
from tests.factories import CallFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wsgi_keeps_connection")]
PLIVO_LIST = "/v1/Account/{auth_id}/Call/"
CARRIERX_LIST, CARRIERX_DETAIL = "/core/v2/calls/call_drs", "/core/v2/calls/call_drs/{dr_sid}"


def test_the_schema_is_served_and_valid(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    validate_schema(document)  # raises on an invalid OpenAPI 3 document
    assert document["info"]["version"] == client.get("/healthz").json()["version"]  # 0.2.0 …
    paths = set(document["paths"])
    assert paths == {
        "/v1/Account/{auth_id}/Call/", "/v1/Account/{auth_id}/Call/{call_uuid}/",
        "/v1/Account/{auth_id}/Zentrunk/Call/",
        "/v1/Account/{auth_id}/Zentrunk/Call/{call_uuid}/",
        "/v1/Account/{auth_id}/Zentrunk/Call/{call_uuid}/Insights/",
        "/core/v2/calls/call_drs", "/core/v2/calls/call_drs/{dr_sid}",
        "/ingest/v1/freeswitch", "/ingest/v1/kamailio", "/ingest/v1/calls",
    }  # fmt: skip
    for path in ("/ingest/v1/freeswitch", "/ingest/v1/kamailio", "/ingest/v1/calls"):
        operation = document["paths"][path]
        assert set(operation) == {"post"}, path
        assert operation["post"]["security"] == [{"ingestBasicAuth": []}, {"ingestBearerAuth": []}]
    params = {p["name"] for p in document["paths"]["/v1/Account/{auth_id}/Call/"]["get"]
              ["parameters"]}  # fmt: skip
    assert {"from_number", "end_time__gte", "bill_duration__lt", "limit", "cursor"} <= params
    assert set(document["components"]["securitySchemes"]) == {
        "plivoBasicAuth",
        "carrierxBearerAuth",
        "ingestBasicAuth",
        "ingestBearerAuth",
    }


def test_interactive_docs_load_their_assets_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger-ui" in body and "cdn" not in body.lower()


def test_real_responses_conform_to_the_schema(main_account, other_account, bearer):
    call = CallFactory(account=main_account, product="voice")
    trunk = CallFactory(account=main_account, trunk_domain="acme.zt.example", from_country="US",
                        transport_protocol="tls", srtp=True, rtt=30.5)  # fmt: skip
    _, secret = bearer(main_account)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    plivo = {"Authorization": basic(main_account)["HTTP_AUTHORIZATION"]}
    carrierx = {"Authorization": f"Bearer {secret}"}
    me, stranger = {"auth_id": main_account.auth_id}, {"auth_id": other_account.auth_id}
    cases = [
        ("/v1/Account/{auth_id}/Call/", me, {}, plivo, 200),
        ("/v1/Account/{auth_id}/Call/", me, {"limit": "abc"}, plivo, 400),
        ("/v1/Account/{auth_id}/Call/", me, {}, {}, 401),
        ("/v1/Account/{auth_id}/Call/", stranger, {}, plivo, 404),
        (
            "/v1/Account/{auth_id}/Call/{call_uuid}/",
            {**me, "call_uuid": str(call.call_uuid)},
            {},
            plivo,
            200,
        ),
        ("/v1/Account/{auth_id}/Zentrunk/Call/", me, {}, plivo, 200),
        ("/v1/Account/{auth_id}/Zentrunk/Call/", me, {"hangup_source": "Callee"}, plivo, 400),
        (
            "/v1/Account/{auth_id}/Zentrunk/Call/{call_uuid}/",
            {**me, "call_uuid": str(trunk.call_uuid)},
            {},
            plivo,
            200,
        ),
        (
            "/v1/Account/{auth_id}/Zentrunk/Call/{call_uuid}/Insights/",
            {**me, "call_uuid": str(trunk.call_uuid)},
            {},
            plivo,
            200,
        ),
        ("/core/v2/calls/call_drs", {}, {"total": "true"}, carrierx, 200),
        ("/core/v2/calls/call_drs", {}, {"filter": "x"}, carrierx, 400),
        ("/core/v2/calls/call_drs", {}, {"include_fields": "dr_sid"}, carrierx, 200),
        ("/core/v2/calls/call_drs/{dr_sid}", {"dr_sid": str(call.call_uuid)}, {}, carrierx, 200),
        ("/core/v2/calls/call_drs/{dr_sid}", {"dr_sid": "0" * 32}, {}, carrierx, 404),
        ("/core/v2/calls/call_drs", {}, {}, {"Authorization": "Bearer nope"}, 401),
    ]
    for template, path_parameters, query, headers, status in cases:
        operation = schema[template]["GET"]
        case = operation.Case(path_parameters=path_parameters, query=query, headers=headers)
        response = case.call()
        assert response.status_code == status, (template, query, response.text[:200])
        case.validate_response(response)  # raises if body, status or type break the schema


@schemathesis.serializer("application/x-www-form-base64-encoded", *NDJSON_TYPES)
def _as_written(ctx, value) -> bytes:
    """Bodies of the ingest endpoints' own media types go as the test wrote them."""
    return value if isinstance(value, bytes) else str(value).encode()


def test_real_ingest_answers_conform_to_the_schema(main_account, bearer, settings):
    # schemathesis's auth check sends each case again with bad credentials: not a lockout.
    settings.THROTTLE_FAILED_AUTH = settings.THROTTLE_FAILED_AUTH_ADDRESS = "1000000/1s"
    _, write = bearer(main_account, scopes=["calls.write"])
    _, read = bearer(main_account, scopes=["calls.read"])
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    as_basic = "Basic " + base64.b64encode(f"{main_account.auth_id}:{write}".encode()).decode()
    writer = {"Authorization": f"Bearer {write}"}
    cdr = fs_sample.cdr()
    form, form_type = fs_sample.post_body(fs_sample.cdr(), "base64")
    end = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    record = {"call_uuid": str(uuid.uuid4()), "from_number": "+14155550100",
              "to_number": "+442071234567", "call_direction": "outbound",
              "end_time": end.isoformat(sep=" "), "call_duration": 50}  # fmt: skip
    start = end.timestamp()
    kamailio = {"start_time": f"{start:.3f}", "end_time": f"{start + 62.5:.3f}",
                "duration": "62.500", "call_id": f"{uuid.uuid4()}@127.0.0.1",
                "from_user": "+14155550100", "to_user": "442071234567", "sip_code": "200",
                "sip_reason": "OK", "answered": "true", "setup_ts": f"{start:.6f}",
                "answer_ts": f"{start + 2.5:.6f}", "from_tag": "t1"}  # fmt: skip
    cases = [  # (path, body, media type, query, headers, status)
        ("/ingest/v1/freeswitch", cdr.encode(), "application/json", {}, writer, 201),
        ("/ingest/v1/freeswitch", cdr.encode(), "application/json", {},
         {"Authorization": as_basic}, 200),  # the same CDR again: a duplicate
        ("/ingest/v1/freeswitch", form, form_type, {"product": "zentrunk"}, writer, 201),
        ("/ingest/v1/freeswitch", b"{", "application/json", {}, writer, 400),
        ("/ingest/v1/freeswitch", cdr.encode(), "application/json", {"uuid": str(uuid.uuid4())},
         writer, 422),
        ("/ingest/v1/freeswitch", cdr.encode(), "application/json", {}, {}, 401),
        ("/ingest/v1/freeswitch", cdr.encode(), "application/json", {},
         {"Authorization": f"Bearer {read}"}, 403),
        ("/ingest/v1/kamailio", json.dumps(kamailio).encode(), "application/json", {}, writer, 201),
        ("/ingest/v1/kamailio", json.dumps(kamailio).encode(), "application/json", {}, writer, 200),
        ("/ingest/v1/kamailio", json.dumps({**kamailio, "sip_code": "x"}).encode(),
         "application/json", {}, writer, 422),
        ("/ingest/v1/kamailio", json.dumps([kamailio, {}]).encode(), "application/json", {},
         writer, 422),  # a batch: one duplicate, one refused
        ("/ingest/v1/calls", json.dumps([record]).encode(), "application/json", {}, writer, 200),
        ("/ingest/v1/calls", (json.dumps(record) + "\n" + json.dumps({**record, "call_uuid": "x"})
                              ).encode(), "application/x-ndjson", {}, writer, 422),
        ("/ingest/v1/calls", b"{}", "application/json", {"bogus": "1"}, writer, 400),
    ]  # fmt: skip
    for path, body, media_type, query, headers, status in cases:
        operation = schema[path]["POST"]
        case = operation.Case(body=body, media_type=media_type, query=query, headers=headers)
        response = case.call()
        assert response.status_code == status, (path, query, response.text[:300])
        case.validate_response(response)  # raises if body, status or type break the schema


# --- the schema says what the server takes (calls/query/patterns.py, rules.py) -----------
def _document(client) -> dict:
    return client.get("/api/schema/?format=json").json()


def _parameter(document, path: str, name: str, where: str = "query") -> dict:
    parameters = document["paths"][path]["get"]["parameters"]
    return next(p for p in parameters if p["name"] == name and p["in"] == where)


def _admits(pattern: str, value: str) -> bool:
    """ECMA 262 reads $ as the very end (Python's also admits a final newline)."""
    assert pattern.endswith("$")
    return re.search(pattern[:-1] + r"\Z", value) is not None


def test_the_end_time_pattern_admits_only_real_dates(client):
    document = _document(client)
    for op in ("", "__gt", "__gte", "__lt", "__lte"):
        pattern = _parameter(document, PLIVO_LIST, f"end_time{op}")["schema"]["pattern"]
        assert not _admits(pattern, "0000-00-00T00:00")
        assert not _admits(pattern, "2026-02-30 10:00")
        assert not _admits(pattern, "2100-02-29 10:00")
        assert _admits(pattern, "2024-02-29 10:00")
        assert _admits(pattern, "2000-02-29T23:59:59.999999")


def test_field_lists_are_comma_separated_arrays_of_field_names(client):
    document = _document(client)
    for path in (CARRIERX_LIST, CARRIERX_DETAIL):
        for name in ("include_fields", "exclude_fields"):
            parameter = _parameter(document, path, name)
            assert parameter["style"] == "form" and parameter["explode"] is False
            schema = parameter["schema"]
            assert schema["type"] == "array" and schema["minItems"] == 1
            assert schema["items"] == {"type": "string", "enum": list(NAMES)}


def test_the_carrierx_patterns_admit_only_what_the_server_takes(client):
    document = _document(client)
    order = _parameter(document, CARRIERX_LIST, "order")["schema"]["pattern"]
    assert _admits(order, "date_stop+ASC") and _admits(order, "price")
    assert not _admits(order, "_ asc") and not _admits(order, "user_data desc")
    flt = _parameter(document, CARRIERX_LIST, "filter")["schema"]["pattern"]
    assert _admits(flt, "direction eq inbound and price ge 0.5")
    assert not _admits(flt, "0") and not _admits(flt, "x eq y") and not _admits(flt, "")
    dr_sid = _parameter(document, CARRIERX_DETAIL, "dr_sid", "path")["schema"]["pattern"]
    assert _admits(dr_sid, "eba53b9e8fbd45c19444696d2172fbc8") and not _admits(dr_sid, "x")


def test_the_rules_the_schema_cannot_state_are_in_its_descriptions(client):
    document = _document(client)
    after = _parameter(document, CARRIERX_LIST, "after")["description"]
    assert rules.AFTER_AND_BEFORE.says in after and rules.OFFSET_WITH_KEYSET.says in after
    end_time = _parameter(document, PLIVO_LIST, "end_time__gte")["description"]
    assert rules.WINDOW_TOO_WIDE.says in end_time and rules.WINDOW_REVERSED.says in end_time
    responses = document["paths"][CARRIERX_LIST]["get"]["responses"]
    assert responses["414"]["description"] == rules.QUERY_TOO_LONG.says


def test_pagination_links_may_be_paths(client):
    link = _document(client)["components"]["schemas"]["Pagination"]["properties"]["next"]
    assert link == {"type": "string", "format": "uri-reference"}
