"""FreeSWITCH mod_json_cdr posts through a live server (gunicorn on the test database),
exactly as the module sends them, then read back through the Plivo and CarrierX APIs."""

from __future__ import annotations

import time
import uuid

import pytest

from calls.ingest import fs_sample
from tests.ingest.live import new_tenant, request
from tests.servers import gunicorn

# No django_db mark: like every served_database test, these run after all database
# tests, since what the server commits is never flushed (tests/conftest.py).
pytestmark = pytest.mark.postgres
FS = {"User-Agent": "freeswitch-json/1.0"}


def post_cdr(port, text, encode="false", auth=None, query="") -> object:
    body, content_type = fs_sample.post_body(text, encode)
    uid = fs_sample_uuid(text)
    return request(
        port, "POST", f"/ingest/v1/freeswitch?uuid={uid}{query}", body,
        Authorization=auth, Content_Type=content_type, **FS,
    )  # fmt: skip


def fs_sample_uuid(text: str) -> str:
    from calls.ingest.freeswitch import loads

    variables = loads(text)["variables"]
    return variables["uuid"]


def voice_call(port, tenant, call_uuid, auth_id=None, password=None):
    from tests.ingest.live import basic

    auth_id = auth_id or tenant.auth_id
    auth = basic(auth_id, password or tenant.auth_token)
    return request(port, "GET", f"/v1/Account/{auth_id}/Call/{call_uuid}/", Authorization=auth)


CASES = [
    # (leg, outcome, old callflow, encoded values) -> what the Plivo API must show
    ("a", "answered", False, True, 4000, "Normal Hangup", "Caller"),
    ("b", "answered", True, True, 4000, "Normal Hangup", "Caller"),
    ("a", "busy", False, False, 3010, "Busy Line", "Callee"),
    ("b", "busy", True, True, 3010, "Busy Line", "Callee"),
    ("a", "no_answer", True, False, 3000, "No Answer", "Plivo"),
    ("a", "canceled", False, True, 1000, "Canceled", "Caller"),
    ("b", "canceled", False, True, 1000, "Canceled", "Caller"),
]


@pytest.mark.parametrize("encode", ["false", "true", "base64"])
@pytest.mark.parametrize(("leg", "outcome", "old", "encoded", "code", "name", "source"), CASES)
def test_a_posted_cdr_reads_back_through_the_plivo_api(
    live, encode, leg, outcome, old, encoded, code, name, source
):
    port, tenant = live
    a_leg = str(uuid.uuid4())
    text = fs_sample.cdr(leg=leg, a_leg_uuid=a_leg, outcome=outcome, old_callflow=old,
                         encode_values=encoded, transferred=old, talk_seconds=167,
                         ring_seconds=6, caller="+14155550100", callee="442071234567")  # fmt: skip
    call_uuid = fs_sample_uuid(text)
    reply = post_cdr(port, text, encode, tenant.write)
    posted = time.monotonic()
    assert reply.status == 201, reply.body
    assert reply.json()["status"] == "stored" and reply.json()["call_uuid"] == call_uuid
    got = voice_call(port, tenant, call_uuid)
    assert time.monotonic() - posted < 1.0  # listed within a second of the POST's answer
    assert got.status == 200, got.body
    call = got.json()
    answered = outcome == "answered"
    assert call["from_number"] == "+14155550100"
    assert call["to_number"] == "442071234567"  # the number dialed, not the transfer's
    assert call["call_direction"] == ("inbound" if leg == "a" else "outbound")
    assert call["call_duration"] == (173 if answered else 6)
    assert call["bill_duration"] == (167 if answered else 0)
    assert (call["answer_time"] is not None) is answered
    assert (call["hangup_cause_code"], call["hangup_cause_name"]) == (code, name)
    assert call["hangup_source"] == source
    assert call["parent_call_uuid"] == (a_leg if leg == "b" else None)
    # The switch retries (or both of its URLs got it): a duplicate, not a second row.
    again = post_cdr(port, text, encode, tenant.write)
    assert again.status == 200 and again.json()["status"] == "duplicate", again.body


def test_sip_status_and_quality_reach_the_store(live):
    port, tenant = live
    text = fs_sample.cdr()
    call_uuid = fs_sample_uuid(text)
    assert post_cdr(port, text, "true", tenant.write, query="&product=zentrunk").status == 201
    auth = tenant.read
    insights = request(
        port, "GET", f"/v1/Account/{tenant.auth_id}/Zentrunk/Call/{call_uuid}/Insights/",
        Authorization=auth,
    ).json()  # fmt: skip
    assert insights["plivo_quality_score"] == 4.48
    assert insights["jitter"] == pytest.approx(4.17)
    assert insights["packet_loss"] == pytest.approx(100 * 44 / (8356 + 44), abs=0.001)
    cdr = request(
        port, "GET", f"/core/v2/calls/call_drs/{call_uuid}",
        Authorization=f"Bearer {tenant.read_token}",
    ).json()  # fmt: skip
    assert cdr["sipcause"] == "200"


def test_accountcode_names_the_account(live):
    port, tenant = live
    text = fs_sample.cdr(accountcode=tenant.sub_auth_id)
    call_uuid = fs_sample_uuid(text)
    assert post_cdr(port, text, "false", tenant.write).status == 201
    got = voice_call(port, tenant, call_uuid, tenant.sub_auth_id, tenant.sub_auth_token)
    assert got.status == 200, got.body
    other = new_tenant_from(port)
    text = fs_sample.cdr(accountcode=other)
    reply = post_cdr(port, text, "false", tenant.write)
    assert reply.status == 422, reply.body
    assert other in reply.json()["error"] and "api_id" in reply.json()


def new_tenant_from(port) -> str:
    from tests.servers import database_url

    return new_tenant(database_url()).auth_id


def test_bad_and_inconsistent_cdrs_get_4xx_with_the_reason(live):
    port, tenant = live
    text = fs_sample.cdr(outcome="answered").replace('"billsec":"167"', '"billsec":"500"')
    reply = post_cdr(port, text, "false", tenant.write)
    assert reply.status == 422 and "bill_duration" in reply.json()["error"], reply.body
    reply = request(port, "POST", "/ingest/v1/freeswitch", b"{not json",
                    Authorization=tenant.write, Content_Type="application/json", **FS)  # fmt: skip
    assert reply.status == 400 and "not valid JSON" in reply.json()["error"], reply.body
    reply = request(port, "POST", "/ingest/v1/freeswitch", b"cdr=%%%",
                    Authorization=tenant.write,
                    Content_Type="application/x-www-form-base64-encoded", **FS)  # fmt: skip
    assert reply.status == 400, reply.body
    text = fs_sample.cdr()
    reply = post_cdr(port, text, "false", tenant.write, query="&product=fax")
    assert reply.status == 400 and "product" in reply.json()["error"]
    body, content_type = fs_sample.post_body(text)
    reply = request(port, "POST", f"/ingest/v1/freeswitch?uuid={uuid.uuid4()}", body,
                    Authorization=tenant.write, Content_Type=content_type)  # fmt: skip
    assert reply.status == 422 and "uuid" in reply.json()["error"]


def test_read_credentials_cannot_write_and_write_tokens_cannot_read(live):
    port, tenant = live
    text = fs_sample.cdr()
    assert post_cdr(port, text, "false", tenant.read).status == 403  # the auth token
    bearer_read = f"Bearer {tenant.read_token}"
    assert post_cdr(port, text, "false", bearer_read).status == 403
    assert post_cdr(port, text, "false", "Basic bm9wZTpub3Bl").status == 401
    assert post_cdr(port, text, "false", f"Bearer {tenant.write_token}").status == 201
    # The write token reads nothing, on either face.
    listing = f"/v1/Account/{tenant.auth_id}/Call/"
    from tests.ingest.live import basic

    reply = request(port, "GET", listing, Authorization=basic(tenant.auth_id, tenant.write_token))
    assert reply.status == 403, reply.body
    assert "error" in reply.json()
    reply = request(port, "GET", "/core/v2/calls/call_drs",
                    Authorization=f"Bearer {tenant.write_token}")  # fmt: skip
    assert reply.status == 403, reply.body


def test_the_database_down_answers_503_with_retry_after(live):
    from tests.servers import free_port

    _, tenant = live
    closed = f"postgres://postgres@127.0.0.1:{free_port()}/nothing"
    with gunicorn(workers=1, DATABASE_URL=closed) as down:
        reply = post_cdr(down.port, fs_sample.cdr(), "false", tenant.write)
        assert reply.status == 503, reply.body
        assert int(reply.headers["Retry-After"]) > 0
        assert "unavailable" in reply.json()["error"]
        batch = request(down.port, "POST", "/ingest/v1/calls", b"[]",
                        Authorization=tenant.write, Content_Type="application/json")  # fmt: skip
        assert batch.status == 503


@pytest.mark.django_db
def test_the_endpoint_is_routed():
    """(Also what makes a run of this module alone set the test database up.)"""
    from django.urls import reverse

    assert reverse("ingest-freeswitch") == "/ingest/v1/freeswitch"
