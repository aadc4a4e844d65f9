"""POST /ingest/v1/calls through a live server: records in the field names import_calls
reads, as one object, an array or JSON lines; per-record outcomes; the limits."""

from __future__ import annotations

import http.client
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from tests.ingest.live import basic, request

pytestmark = pytest.mark.postgres  # no django_db mark: see test_freeswitch_live.py


def plivo(**over) -> dict:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    record = {
        "call_uuid": str(uuid4()), "call_direction": "outbound",
        "from_number": "+14155550100", "to_number": "442071234567",
        "initiation_time": (end - timedelta(seconds=60)).isoformat(),
        "answer_time": (end - timedelta(seconds=50)).isoformat(),
        "end_time": end.isoformat(), "call_duration": 60, "bill_duration": 50,
    }  # fmt: skip
    return record | over


def carrierx(**over) -> dict:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    record = {
        "dr_sid": str(uuid4()), "direction": "inbound", "number_src": "+442071234567",
        "number_dst": "+14155550100", "date_start": (end - timedelta(seconds=30)).isoformat(),
        "date_talk": (end - timedelta(seconds=20)).isoformat(), "date_stop": end.isoformat(),
        "sipcause": "200", "disconnect_originator": "DST",
    }  # fmt: skip
    return record | over


def post(port, tenant, body: bytes, content_type="application/json", query=""):
    return request(port, "POST", f"/ingest/v1/calls{query}", body,
                   Authorization=tenant.write, Content_Type=content_type)  # fmt: skip


def zentrunk_call(port, tenant, call_uuid, auth_id=None, token=None):
    auth_id = auth_id or tenant.auth_id
    return request(port, "GET", f"/v1/Account/{auth_id}/Zentrunk/Call/{call_uuid}/",
                   Authorization=basic(auth_id, token or tenant.auth_token))  # fmt: skip


def test_one_object_an_array_and_json_lines(live):
    port, tenant = live
    one = plivo()
    reply = post(port, tenant, json.dumps(one).encode())
    assert reply.status == 200, reply.body
    assert reply.json()["records"] == [{"index": 0, "status": "stored",
                                        "call_uuid": one["call_uuid"]}]  # fmt: skip
    many = [plivo(), carrierx(), one]
    reply = post(port, tenant, json.dumps(many).encode())
    assert reply.status == 200, reply.body
    assert [r["status"] for r in reply.json()["records"]] == ["stored", "stored", "duplicate"]
    assert (reply.json()["stored"], reply.json()["duplicate"]) == (2, 1)
    lines = [plivo(), plivo(product="voice")]
    body = "\n".join(json.dumps(r) for r in lines).encode()
    reply = post(port, tenant, body, "application/x-ndjson")
    assert reply.status == 200 and reply.json()["stored"] == 2, reply.body
    for record in (one, many[0], many[1], lines[0]):
        uid = record.get("call_uuid") or record["dr_sid"]
        assert zentrunk_call(port, tenant, uid).status == 200
    voice = lines[1]["call_uuid"]
    got = request(port, "GET", f"/v1/Account/{tenant.auth_id}/Call/{voice}/",
                  Authorization=tenant.read)  # fmt: skip
    assert got.status == 200 and got.json()["bill_duration"] == 50


def test_some_records_refused_is_422_and_the_rest_stored(live):
    port, tenant = live
    good, bad = plivo(), plivo(bill_duration=9999)
    foreign = plivo(account="MA" + "Z" * 18)
    body = "\n".join([json.dumps(good), "{oops", json.dumps(bad), json.dumps(foreign)])
    reply = post(port, tenant, body.encode(), "application/x-ndjson")
    assert reply.status == 422, reply.body
    records = reply.json()["records"]
    assert [r["status"] for r in records] == ["stored", "rejected", "rejected", "rejected"]
    assert "line 2 is not valid JSON" in records[1]["reason"]
    assert "bill_duration" in records[2]["reason"]
    assert "MAZZZZ" in records[3]["reason"]
    assert zentrunk_call(port, tenant, good["call_uuid"]).status == 200
    assert zentrunk_call(port, tenant, bad["call_uuid"]).status == 404
    sub = plivo(account=tenant.sub_auth_id)
    assert post(port, tenant, json.dumps(sub).encode()).status == 200
    got = zentrunk_call(port, tenant, sub["call_uuid"], tenant.sub_auth_id, tenant.sub_auth_token)
    assert got.status == 200


def test_product_override_and_bad_input(live):
    port, tenant = live
    record = plivo(product="zentrunk")
    reply = post(port, tenant, json.dumps(record).encode(), query="?product=voice")
    assert reply.status == 200, reply.body
    got = request(port, "GET", f"/v1/Account/{tenant.auth_id}/Call/{record['call_uuid']}/",
                  Authorization=tenant.read)  # fmt: skip
    assert got.status == 200
    for query in ("?product=fax", "?prodcut=voice"):
        reply = post(port, tenant, b"[]", query=query)
        assert reply.status == 400 and "error" in reply.json(), reply.body
    for body in (b"", b"[1, 2", b"\xff\xfe", b"  \n "):
        reply = post(port, tenant, body)
        assert reply.status == 400 and "The body cannot be read" in reply.json()["error"], body
    reply = post(port, tenant, b'["text", 3]')
    assert reply.status == 422, reply.body
    assert [r["reason"] for r in reply.json()["records"]] == ["not a JSON object"] * 2


def test_limits_answer_413_in_json(live):
    port, tenant = live
    too_many = b"[" + b",".join([b"{}"] * 10_001) + b"]"
    reply = post(port, tenant, too_many)
    assert reply.status == 413 and "10000" in reply.json()["error"], reply.body
    # Refused on its Content-Length, before the body is read.
    status, body = announce(port, tenant, "/ingest/v1/calls", 10 * 1024 * 1024 + 1)
    assert status == 413 and "larger than 10485760 bytes" in json.loads(body)["error"]
    # The switch endpoints keep the service's 1 MB limit.
    status, _ = announce(port, tenant, "/ingest/v1/freeswitch", 1024 * 1024 + 1)
    assert status == 413
    # Up to the limit is read.
    at_limit = b"[" + b" " * (10 * 1024 * 1024 - 2) + b"]"
    assert post(port, tenant, at_limit).status == 200


def announce(port, tenant, path: str, length: int) -> tuple[int, bytes]:
    """POST headers announcing a `length`-byte body, and the answer before any of it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Authorization", tenant.write)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.django_db
def test_the_endpoint_is_routed():
    """(Also what makes a run of this module alone set the test database up.)"""
    from django.urls import reverse

    assert reverse("ingest-calls") == "/ingest/v1/calls"
