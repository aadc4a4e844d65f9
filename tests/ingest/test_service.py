"""store_documents: the one way posted calls reach the store (what every endpoint uses)."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from calls.ingest.service import Outcome, store_documents
from calls.models import Call
from tests.factories import AccountFactory, SubaccountFactory

pytestmark = pytest.mark.django_db


def plivo_record(**over) -> dict:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    record = {
        "call_uuid": str(uuid4()), "call_direction": "outbound",
        "from_number": "+14155550100", "to_number": "442071234567",
        "initiation_time": (end - timedelta(seconds=60)).isoformat(),
        "answer_time": (end - timedelta(seconds=50)).isoformat(),
        "end_time": end.isoformat(), "call_duration": 60, "bill_duration": 50,
    }  # fmt: skip
    record.update(over)
    return record


def test_stored_then_duplicate_then_rejected(main_account):
    good, bad = plivo_record(), plivo_record(bill_duration=500)
    first = store_documents("calls", [good, good, bad, "x"], account=main_account)
    assert [o.status for o in first] == ["stored", "duplicate", "rejected", "rejected"]
    assert "bill_duration" in first[2].reason and first[2].call_uuid == bad["call_uuid"]
    again = store_documents("calls", [good], account=main_account)
    assert again == [Outcome("duplicate", good["call_uuid"])]
    call = Call.objects.get(call_uuid=good["call_uuid"])
    assert (call.account_id, call.product, call.bill_duration) == (main_account.pk, "zentrunk", 50)


def test_product_key_and_override(main_account):
    voice, other = plivo_record(product="voice"), plivo_record()
    store_documents("calls", [voice], account=main_account)
    store_documents("calls", [other], account=main_account, product="voice")
    uuids = [voice["call_uuid"], other["call_uuid"]]
    products = set(Call.objects.filter(call_uuid__in=uuids).values_list("product", flat=True))
    assert products == {"voice"}


def test_a_bad_product_key_is_refused_not_a_crash(main_account):
    outcomes = store_documents(
        "calls",
        [plivo_record(product="fax"), plivo_record(product=["voice"])],
        account=main_account,
    )
    assert [o.status for o in outcomes] == ["rejected", "rejected"]
    assert "product must be one of voice, zentrunk" in outcomes[0].reason


def test_account_named_must_be_the_credentials_or_below(main_account):
    sub = SubaccountFactory(parent=main_account)
    stranger = AccountFactory()
    mine, theirs = plivo_record(account=sub.auth_id), plivo_record(account=stranger.auth_id)
    by_sid = plivo_record(partner_sid=str(sub.partner_sid))
    outcomes = store_documents("calls", [mine, theirs, by_sid], account=main_account)
    assert [o.status for o in outcomes] == ["stored", "rejected", "stored"]
    assert stranger.auth_id in outcomes[1].reason
    assert Call.objects.get(call_uuid=mine["call_uuid"]).account_id == sub.pk
    # A subaccount's credential cannot write to its parent.
    up = plivo_record(account=main_account.auth_id)
    assert store_documents("calls", [up], account=sub)[0].status == "rejected"


def test_trusted_source_needs_an_account_in_each_record(main_account):
    named, anonymous = plivo_record(account=main_account.auth_id), plivo_record()
    outcomes = store_documents("calls", [named, anonymous], account=None)
    assert [o.status for o in outcomes] == ["stored", "rejected"]
    assert "no account" in outcomes[1].reason
