"""Tenants apart, through a live server: two tenants posting one Kamailio dialog each get
their own call; a FreeSWITCH CDR or a batch record whose call_uuid another tenant stored
is refused (409, "rejected"), telling nothing of that tenant or its call, while the owner's
re-post is still a duplicate (docs/ingest.md)."""

from __future__ import annotations

import json
import random
import uuid

import pytest

from calls.ingest import fs_sample
from calls.ingest.kamailio import call_uuid
from calls.writing.writer import FOREIGN_REASON
from tests.ingest.live import Tenant, basic, new_tenant, request
from tests.ingest.test_batch_live import plivo
from tests.ingest.test_freeswitch_live import post_cdr
from tests.ingest.test_kamailio_endpoint import cdr
from tests.ingest.test_kamailio_endpoint import post as post_kamailio
from tests.servers import database_url

pytestmark = pytest.mark.postgres  # no django_db mark: see test_freeswitch_live.py


@pytest.fixture(scope="module")
def stranger(live) -> Tenant:
    return new_tenant(database_url())


def listed(port: int, tenant: Tenant, to_number: str) -> list[dict]:
    """The tenant's Zentrunk calls to `to_number`, as the Plivo API lists them."""
    path = f"/v1/Account/{tenant.auth_id}/Zentrunk/Call/?to_number={to_number}"
    reply = request(port, "GET", path, Authorization=basic(tenant.auth_id, tenant.auth_token))
    assert reply.status == 200, reply.body
    return reply.json()["objects"]


@pytest.mark.parametrize("stranger_first", [False, True])
def test_two_tenants_posting_one_dialog_each_get_their_own_call(live, stranger, stranger_first):
    port, tenant = live
    to_number = f"44207{random.randrange(10**6, 10**7)}"
    doc = cdr(to_user=to_number)  # the same Call-ID and from-tag for both
    order = [stranger, tenant] if stranger_first else [tenant, stranger]
    for poster in order:
        reply = post_kamailio(port, poster.write, doc)
        assert reply.status == 201 and reply.json()["status"] == "stored", reply.body
    for owner in order:
        mine = str(call_uuid(owner.partner_sid, doc["call_id"], doc["from_tag"]))
        calls = listed(port, owner, to_number)
        assert [c["call_uuid"] for c in calls] == [mine]
        assert calls[0]["from_number"] == doc["from_user"]
        again = post_kamailio(port, owner.write, doc)
        assert again.status == 200 and again.json()["status"] == "duplicate", again.body


def leaks(body: bytes, tenant: Tenant, *values: str) -> list[str]:
    """Which of the other tenant's ids or its call's values the answer holds."""
    text = body.decode()
    return [
        v for v in (tenant.auth_id, tenant.sub_auth_id, tenant.partner_sid, *values) if v in text
    ]


def test_a_freeswitch_cdr_with_a_stored_uuid_of_another_tenant_is_a_409(live, stranger):
    port, tenant = live
    uid = str(uuid.uuid4())
    theirs = fs_sample.cdr(call_uuid=uid, caller="+14155550177", callee="33612345678",
                           talk_seconds=421)  # fmt: skip
    assert post_cdr(port, theirs, auth=stranger.write).status == 201
    mine = fs_sample.cdr(call_uuid=uid, outcome="busy")
    reply = post_cdr(port, mine, auth=tenant.write)
    assert reply.status == 409, reply.body
    assert reply.json()["error"] == f"The call was refused: {FOREIGN_REASON}"
    assert leaks(reply.body, stranger, "+14155550177", "33612345678") == []
    # Not stored for the poster; the owner's call is untouched and its re-post a duplicate.
    got = request(port, "GET", f"/v1/Account/{tenant.auth_id}/Call/{uid}/",
                  Authorization=tenant.read)  # fmt: skip
    assert got.status == 404
    again = post_cdr(port, theirs, auth=stranger.write)
    assert again.status == 200 and again.json()["status"] == "duplicate", again.body
    owner = request(port, "GET", f"/v1/Account/{stranger.auth_id}/Call/{uid}/",
                    Authorization=stranger.read)  # fmt: skip
    assert owner.status == 200 and owner.json()["from_number"] == "+14155550177"


def test_a_batch_record_with_a_stored_uuid_of_another_tenant_is_rejected(live, stranger):
    port, tenant = live
    theirs = plivo(from_number="+14155550166", to_number="442079876543", call_duration=60)
    body = json.dumps(theirs).encode()
    stored = request(port, "POST", "/ingest/v1/calls", body, Authorization=stranger.write,
                     Content_Type="application/json")  # fmt: skip
    assert stored.status == 200 and stored.json()["stored"] == 1, stored.body
    mine, fresh = plivo(call_uuid=theirs["call_uuid"]), plivo()
    reply = request(port, "POST", "/ingest/v1/calls", json.dumps([mine, fresh]).encode(),
                    Authorization=tenant.write, Content_Type="application/json")  # fmt: skip
    assert reply.status == 422, reply.body
    answer = reply.json()
    assert (answer["stored"], answer["duplicate"], answer["rejected"]) == (1, 0, 1)
    refused = {"index": 0, "status": "rejected", "call_uuid": theirs["call_uuid"]}
    assert answer["records"][0] == refused | {"reason": FOREIGN_REASON}
    assert leaks(reply.body, stranger, "+14155550166", "442079876543") == []
    again = request(port, "POST", "/ingest/v1/calls", body, Authorization=stranger.write,
                    Content_Type="application/json")  # fmt: skip
    assert again.status == 200 and again.json()["records"][0]["status"] == "duplicate"


@pytest.mark.django_db
def test_the_ingest_endpoints_are_routed():
    """(Also what makes a run of this module alone set the test database up.)"""
    from django.urls import reverse

    assert [reverse(f"ingest-{name}") for name in ("freeswitch", "kamailio", "calls")] == [
        "/ingest/v1/freeswitch", "/ingest/v1/kamailio", "/ingest/v1/calls"
    ]  # fmt: skip
