"""Rating at import: unpriced records are priced from the rate tables, priced ones kept."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.bulk.imports import call_import
from calls.models import Call, Rate
from calls.rating.pricing import price_rows
from tests.factories import AccountFactory, SubaccountFactory

pytestmark = pytest.mark.django_db
END = datetime(2026, 11, 20, 14, 18, 35, tzinfo=UTC)


def record(to="+14155550100", direction="outbound", bill=61, **extra) -> dict:
    """A switch-like record: no price, `bill` seconds answered."""
    return {
        "call_uuid": str(uuid4()),
        "from_number": "+442071234567",
        "to_number": to,
        "call_direction": direction,
        "end_time": END.isoformat(sep=" "),
        "answer_time": (END - timedelta(seconds=bill)).isoformat(sep=" ") if bill else None,
        "call_duration": bill + 5,
        "bill_duration": bill,
        **extra,
    }


def imported(account, *records) -> list[Call]:
    lines = [(n, json.loads(json.dumps(r))) for n, r in enumerate(records, start=1)]
    summary = call_import(records=lines, account=account)
    assert summary.rejected == 0, summary.errors
    uuids = [r["call_uuid"] for r in records]
    by_uuid = {str(c.call_uuid): c for c in Call.objects.filter(call_uuid__in=uuids)}
    return [by_uuid[u] for u in uuids]


def rate(account, prefix, per_minute, increment=(60, 60), direction="outbound") -> Rate:
    return Rate.objects.create(
        account=account,
        direction=direction,
        prefix=prefix,
        rate=Decimal(per_minute),
        first_interval=increment[0],
        next_interval=increment[1],
    )


@pytest.fixture
def account():
    return AccountFactory()


def test_an_imported_record_without_a_price_is_rated(account):
    rate(None, "1", "0.0100", (30, 6))
    (call,) = imported(account, record(bill=61))
    assert call.billed_duration == 66  # 30 + 6 * ceil(31 / 6)
    assert call.total_amount == Decimal("0.01100")
    assert call.total_rate == Decimal("0.01000")


def test_a_record_with_its_own_price_keeps_it(account):
    rate(None, "1", "0.0100")
    own = record(bill=61, billed_duration=61, total_amount="0.50000", total_rate="0.49")
    free = record(bill=61, total_amount="0")  # a price of 0 is a price too
    first, second = imported(account, own, free)
    assert (first.billed_duration, first.total_amount, first.total_rate) == (
        61,
        Decimal("0.50000"),
        Decimal("0.49000"),
    )
    assert second.total_amount == Decimal("0") and second.billed_duration == 61


def test_a_carrierx_record_with_a_price_keeps_it_and_one_without_is_rated(account):
    rate(None, "1516", "0.0300")
    base = {
        "date_start": "2026-11-18T15:32:15.000Z", "date_talk": "2026-11-18T15:32:16.000Z",
        "date_stop": "2026-11-18T15:32:46.000Z", "direction": "outbound",
        "number_src": "+15012678830", "number_dst": "15162065451",
    }  # fmt: skip
    priced = {**base, "dr_sid": str(uuid4()), "price": "0.0025", "rate": "0.0025"}
    unpriced = {**base, "dr_sid": str(uuid4())}
    call_import(records=[(1, priced), (2, unpriced)], account=account)
    got = {str(c.call_uuid): c for c in Call.objects.all()}
    assert got[priced["dr_sid"]].total_amount == Decimal("0.0025")
    assert got[unpriced["dr_sid"]].total_amount == Decimal("0.03000")  # 30 s at 60/60
    assert got[unpriced["dr_sid"]].billed_duration == 60


def test_the_longest_prefix_wins(account):
    rate(None, "1", "0.0100")
    rate(None, "1415", "0.0200")
    rate(None, "14155", "0.0300")
    rate(None, "141555501", "0.0400")
    calls = imported(
        account,
        record(to="+14155550100"),
        record(to="+14155551234"),
        record(to="14150000000"),
        record(to="+12125550100"),
    )
    assert [c.total_rate for c in calls] == [Decimal(x) for x in ("0.04", "0.03", "0.02", "0.01")]


def test_an_accounts_rate_beats_the_default_even_with_a_shorter_prefix(account):
    rate(None, "14155", "0.0500")
    rate(account, "1", "0.0100")
    other = AccountFactory()
    (mine,) = imported(account, record(to="+14155550100"))
    (theirs,) = imported(other, record(to="+14155550100"))
    assert mine.total_rate == Decimal("0.01")
    assert theirs.total_rate == Decimal("0.05")


def test_a_subaccount_uses_its_parents_rates_unless_it_has_its_own(account):
    child = SubaccountFactory(parent=account)
    grandchild = SubaccountFactory(parent=child)
    rate(None, "1", "0.0500")
    rate(account, "1", "0.0100")
    (via_parent,) = imported(child, record())
    (via_grandparent,) = imported(grandchild, record())
    rate(child, "1", "0.0070")
    (own,) = imported(child, record())
    assert via_parent.total_rate == Decimal("0.01")
    assert via_grandparent.total_rate == Decimal("0.01")
    assert own.total_rate == Decimal("0.007")


def test_no_matching_rate_means_amount_zero(account):
    rate(None, "44", "0.0100")
    rate(None, "1", "0.0100", direction="inbound")
    (call,) = imported(account, record(to="+14155550100", bill=61))
    assert (call.total_amount, call.total_rate, call.billed_duration) == (0, 0, 61)


def test_an_empty_prefix_matches_every_number(account):
    rate(None, "", "0.0200")
    (call,) = imported(account, record(to="sip:alice@example.com"))
    assert call.total_rate == Decimal("0.02")


def test_inbound_calls_are_rated_by_the_called_number_with_their_direction(account):
    rate(None, "1800", "0.0300", direction="inbound")  # a toll-free number we answer
    rate(None, "1800", "0.9900", direction="outbound")
    rate(None, "44", "0.9900", direction="inbound")  # the caller's prefix: not used
    (call,) = imported(
        account, record(direction="inbound", to="+18005550100", from_number="+442071234567")
    )
    assert call.total_rate == Decimal("0.03")
    assert call.total_amount == Decimal("0.06000")  # 61 s -> 120 s at 60/60


def test_an_unanswered_call_costs_nothing_but_records_its_rate(account):
    rate(None, "1", "0.0100")
    (call,) = imported(account, record(bill=0))
    assert (call.billed_duration, call.total_amount, call.total_rate) == (0, 0, Decimal("0.01"))


def test_a_batch_is_priced_with_one_query_whatever_its_size(account):
    others = [AccountFactory() for _ in range(3)]
    rate(None, "1", "0.0100")
    rate(others[0], "14", "0.0200")
    rows = [
        {
            "account_id": acct.pk,
            "call_direction": "outbound",
            "to_number_norm": f"1415555{n:04d}",
            "bill_duration": n,
            "billed_duration": n,
            "_priced": False,
        }
        for n in range(500)
        for acct in [account, *others]
    ]
    with CaptureQueriesContext(connection) as queries:
        price_rows(rows)
    assert len(queries) == 1  # the account chains and their candidate rates, together
    assert {row["total_rate"] for row in rows} == {Decimal("0.01"), Decimal("0.02")}
    assert all("_priced" not in row for row in rows)


def test_a_call_posted_through_the_ingest_service_is_rated_too(account):
    from calls.ingest.service import store_documents

    rate(None, "1", "0.0100")
    doc = {**record(bill=61), "account": account.auth_id}
    (outcome,) = store_documents("calls", [json.loads(json.dumps(doc))], account=None)
    assert outcome.status == "stored"
    call = Call.objects.get(call_uuid=doc["call_uuid"])
    assert (call.billed_duration, call.total_amount) == (120, Decimal("0.02000"))
