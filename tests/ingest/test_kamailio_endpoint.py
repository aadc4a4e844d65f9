"""POST /ingest/v1/kamailio through a live server with the CDRs Kamailio's http_client
posts (calls/ingest/kamailio.py): stored, a re-post a duplicate, the product and the
account it names, a CDR that contradicts itself refused with its reason."""

from __future__ import annotations

import json
import time

import pytest

from calls.ingest.kamailio import call_uuid
from tests.ingest.live import basic, new_tenant, request
from tests.servers import database_url

pytestmark = pytest.mark.postgres  # no django_db mark: see test_kamailio_live.py


def cdr(**over: str) -> dict:
    """An answered call that ended a minute ago, every value a string as acc_json sends."""
    end = time.time() - 60
    doc = {
        "start_time": f"{end - 12.5:.3f}", "end_time": f"{end:.3f}", "duration": "12.500",
        "call_id": f"{time.monotonic_ns()}@10.0.0.1", "from_tag": "as5f1c2d",
        "from_user": "+14155550100", "to_user": "442071234567", "sip_code": "200",
        "sip_reason": "OK", "answered": "true", "setup_ts": f"{end - 12.5:.6f}",
        "answer_ts": f"{end - 10.2:.6f}", "ended_by": "callee",
    }  # fmt: skip
    return doc | over


def post(port: int, auth: str, doc: dict, query: str = ""):
    return request(port, "POST", f"/ingest/v1/kamailio{query}", json.dumps(doc).encode(),
                   Authorization=auth, Content_Type="application/json")  # fmt: skip


def call(port: int, auth_id: str, token: str, uuid: str, path: str = "Zentrunk/Call"):
    return request(port, "GET", f"/v1/Account/{auth_id}/{path}/{uuid}/",
                   Authorization=basic(auth_id, token))  # fmt: skip


def test_a_cdr_is_stored_once_and_read_back_as_a_zentrunk_call(live):
    port, tenant = live
    doc = cdr()
    uuid = str(call_uuid(tenant.partner_sid, doc["call_id"], doc["from_tag"]))
    first = post(port, tenant.write, doc)
    assert first.status == 201, first.body
    assert first.json()["status"] == "stored" and first.json()["call_uuid"] == uuid
    again = post(port, tenant.write, doc | {"end_time": doc["end_time"]})
    assert again.status == 200 and again.json()["status"] == "duplicate", again.body
    shown = call(port, tenant.auth_id, tenant.auth_token, uuid)
    assert shown.status == 200, shown.body
    got = shown.json()
    assert (got["from_number"], got["to_number"]) == ("+14155550100", "442071234567")
    assert (got["call_duration"], got["bill_duration"]) == (12, 10)
    assert (got["hangup_cause_code"], got["hangup_cause_name"], got["hangup_source"]) == (
        3000, "normal_hangup", "carrier"
    )  # fmt: skip
    assert call(port, tenant.auth_id, tenant.auth_token, uuid, "Call").status == 404


def test_product_voice_files_it_under_the_voice_api(live):
    port, tenant = live
    doc = cdr(answered="false", sip_code="486", sip_reason="Busy Here", answer_ts="",
              ended_by="")  # fmt: skip
    assert post(port, tenant.write, doc, "?product=voice").status == 201
    uuid = str(call_uuid(tenant.partner_sid, doc["call_id"], doc["from_tag"]))
    shown = call(port, tenant.auth_id, tenant.auth_token, uuid, "Call")
    assert shown.status == 200, shown.body
    got = shown.json()
    assert (got["hangup_cause_code"], got["hangup_cause_name"], got["hangup_source"]) == (
        3010, "Busy Line", "Callee"
    )  # fmt: skip
    assert got["answer_time"] is None and got["bill_duration"] == 0


def test_a_cdr_naming_a_subaccount_is_filed_under_it_and_a_stranger_is_refused(live):
    port, tenant = live
    doc = cdr(account=tenant.sub_auth_id)
    assert post(port, tenant.write, doc).status == 201
    uuid = str(call_uuid(tenant.sub_partner_sid, doc["call_id"], doc["from_tag"]))
    assert call(port, tenant.sub_auth_id, tenant.sub_auth_token, uuid).status == 200
    stranger = new_tenant(database_url())
    refused = post(port, tenant.write, cdr(account=stranger.auth_id))
    assert refused.status == 422 and stranger.auth_id in refused.json()["error"], refused.body


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"answer_ts": ""}, "answered is true but answer_ts is empty"),
     ({"sip_code": "486"}, "answered is true but sip_code is 486"),
     ({"call_id": ""}, "call_id is required"),
     ({"end_time": "yesterday"}, "end_time is not a number of seconds")],
)  # fmt: skip
def test_a_cdr_that_contradicts_itself_is_refused_with_its_reason(live, change, reason):
    port, tenant = live
    doc = cdr(**change)
    refused = post(port, tenant.write, doc)
    assert refused.status == 422 and reason in refused.json()["error"], refused.body
    if doc["call_id"]:
        uuid = str(call_uuid(tenant.partner_sid, doc["call_id"], doc["from_tag"]))
        assert call(port, tenant.auth_id, tenant.auth_token, uuid).status == 404


@pytest.mark.django_db
def test_the_endpoint_is_routed():
    """(Also what makes a run of this module alone set the test database up.)"""
    from django.urls import reverse

    assert reverse("ingest-kamailio") == "/ingest/v1/kamailio"
