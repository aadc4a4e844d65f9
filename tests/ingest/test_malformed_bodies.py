"""Property tests: whatever a client posts to the ingestion endpoints, the answer is a
JSON 2xx or 4xx, never a 500 (broken bodies, broken encodings, CDRs with any field
replaced by any JSON value, batches of arbitrary records)."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.ingest import fs_sample
from tests.factories import BearerTokenFactory

pytestmark = pytest.mark.django_db
ENDPOINTS = ("/ingest/v1/freeswitch", "/ingest/v1/kamailio", "/ingest/v1/calls")
TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain", "",
         "application/x-www-form-base64-encoded", "application/x-ndjson")  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip
SLOW = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


@pytest.fixture
def writer(main_account):
    token = BearerTokenFactory(account=main_account, scopes=["calls.write"])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.raw_secret}")


def check(response) -> None:
    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert "error" in body or "status" in body or "records" in body


@SLOW
@given(endpoint=st.sampled_from(ENDPOINTS), content_type=st.sampled_from(TYPES),
       body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))  # fmt: skip
def test_any_bytes(writer, endpoint, content_type, body):
    check(writer.post(endpoint, body, content_type=content_type))


@SLOW
@given(encode=st.sampled_from(["false", "true", "base64"]), data=st.data())
def test_a_cdr_with_any_value_replaced_or_removed(writer, encode, data):
    document = json.loads(fs_sample.cdr(outcome=data.draw(st.sampled_from(
        ["answered", "busy", "canceled"]))))  # fmt: skip
    node, path = document, []
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(node) if isinstance(node, dict)
                                        else list(range(len(node)))))  # fmt: skip
        path.append((node, key))
        node = node[key]
    if path:
        parent, key = path[-1]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = data.draw(JSON)
    body, content_type = fs_sample.post_body(json.dumps(document), encode)
    check(writer.post("/ingest/v1/freeswitch", body, content_type=content_type))


@SLOW
@given(records=st.lists(st.dictionaries(
    st.sampled_from(["call_uuid", "dr_sid", "end_time", "initiation_time", "answer_time",
                     "call_duration", "bill_duration", "from_number", "to_number",
                     "call_direction", "product", "account", "partner_sid", "hangup_source",
                     "quality_score", "sipcause", "date_stop", "date_start", "direction"]),
    JSON, max_size=12), max_size=5))  # fmt: skip
def test_batches_of_arbitrary_records(writer, records):
    check(writer.post("/ingest/v1/calls", json.dumps(records), content_type="application/json"))


def test_encodings_gone_wrong(writer):
    text = fs_sample.cdr()
    for body, content_type in [
        (b"cdr=" + base64.b64encode(text.encode())[:-3], "application/x-www-form-base64-encoded"),
        (b"cdr=" + quote(text).encode()[:-20], "application/x-www-form-urlencoded"),
        (b"nocdr=1", "application/x-www-form-urlencoded"),
        (b"cdr=" + base64.b64encode(b"\xff\xfe"), "application/x-www-form-base64-encoded"),
        (b"[" * 100_000, "application/json"),
        (re.sub(r'"start_uepoch":"\d+"', '"start_uepoch":"1e99"', text).encode(),
         "application/json"),
        (re.sub(r'"end_uepoch":"\d+"', '"end_uepoch":"99999999999999999"', text).encode(),
         "application/json"),
    ]:  # fmt: skip
        response = writer.post("/ingest/v1/freeswitch", body, content_type=content_type)
        check(response)
        assert 400 <= response.status_code < 500


def test_only_post(writer):
    for endpoint in ENDPOINTS:
        response = writer.get(endpoint)
        assert response.status_code == 405 and "use POST" in response.json()["error"]
