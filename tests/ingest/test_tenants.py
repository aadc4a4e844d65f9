"""Tenants apart: only a call of the same account is a duplicate. A call_uuid another
account's call holds is refused (never "duplicate", never stored twice), with words that
tell nothing of that account or its call; a Kamailio dialog is each account's own call.
Through every write path's one service (store_documents) and the plain importer."""

import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from uuid import uuid4

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.bulk.imports import call_import
from calls.ingest import fs_sample
from calls.ingest.freeswitch import loads
from calls.ingest.kamailio import call_uuid
from calls.ingest.service import Outcome, store_documents
from calls.models import Call
from calls.store import partitions
from calls.writing import loading
from calls.writing.writer import FOREIGN_REASON
from tests.factories import AccountFactory, CallFactory
from tests.ingest.test_kamailio_records import ANSWERED
from tests.ingest.test_service import plivo_record

pytestmark = pytest.mark.django_db


def recent_dialog(**over: str) -> dict:
    """An answered Kamailio CDR of a minute ago (ANSWERED's times are in 2026)."""
    end = datetime.now(UTC).timestamp() - 60
    times = {"start_time": f"{end - 2.007:.3f}", "end_time": f"{end:.3f}", "duration": "2.007",
             "setup_ts": f"{end - 2.007:.6f}", "answer_ts": f"{end - 2:.6f}"}  # fmt: skip
    return ANSWERED | times | over


@pytest.mark.parametrize("first", [0, 1])
def test_two_accounts_posting_one_kamailio_dialog_each_store_their_own_call(first):
    accounts = [AccountFactory(), AccountFactory()]
    if first:
        accounts.reverse()
    doc = recent_dialog(call_id=f"{uuid4()}@10.0.0.1")
    for account in accounts:
        (outcome,) = store_documents("kamailio", [doc], account=account)
        mine = str(call_uuid(account.partner_sid, doc["call_id"], doc["from_tag"]))
        assert outcome == Outcome("stored", mine)
        assert Call.objects.get(call_uuid=mine).account_id == account.pk
        # Each account's re-post (Kamailio's retry) is its own duplicate.
        assert store_documents("kamailio", [doc], account=account)[0].status == "duplicate"


def test_a_kamailio_dialog_named_for_a_subaccount_is_the_subaccount_s(main_account, subaccount):
    doc = recent_dialog(call_id=f"{uuid4()}@10.0.0.1", account=subaccount.auth_id)
    (outcome,) = store_documents("kamailio", [doc], account=main_account)
    assert outcome.call_uuid == str(
        call_uuid(subaccount.partner_sid, doc["call_id"], doc["from_tag"])
    )
    # The trusted consumer names it the same way: the same call, a duplicate.
    (again,) = store_documents("kamailio", [doc], account=None)
    assert again == Outcome("duplicate", outcome.call_uuid)


def test_another_account_s_call_uuid_is_refused_not_a_duplicate(main_account, other_account):
    theirs = plivo_record(from_number="+14155550177", to_number="442071239999")
    assert store_documents("calls", [theirs], account=other_account)[0].status == "stored"
    mine = plivo_record(call_uuid=theirs["call_uuid"])
    fresh = plivo_record()
    outcomes = store_documents("calls", [mine, fresh], account=main_account)
    assert outcomes == [
        Outcome("rejected", theirs["call_uuid"], FOREIGN_REASON, conflict=True),
        Outcome("stored", fresh["call_uuid"]),
    ]
    call = Call.objects.get(call_uuid=theirs["call_uuid"])  # untouched, still theirs
    assert (call.account_id, call.from_number) == (other_account.pk, "+14155550177")
    # The owner's own re-post is still a duplicate.
    assert store_documents("calls", [theirs], account=other_account) == [
        Outcome("duplicate", theirs["call_uuid"])
    ]


def test_the_refusal_says_the_same_whatever_the_other_call_holds(main_account):
    strangers = [AccountFactory(), AccountFactory()]
    taken = [plivo_record(from_number="+14155550101", bill_duration=50),
             plivo_record(from_number="+33612345678", call_direction="inbound",
                          answer_time=None, bill_duration=0)]  # fmt: skip
    for account, record in zip(strangers, taken, strict=True):
        assert store_documents("calls", [record], account=account)[0].status == "stored"
    posted = [plivo_record(call_uuid=record["call_uuid"]) for record in taken]
    outcomes = store_documents("calls", posted, account=main_account)
    assert {o.reason for o in outcomes} == {FOREIGN_REASON}
    told = json.dumps([o.__dict__ for o in outcomes])
    for account in strangers:
        assert account.auth_id not in told and str(account.partner_sid) not in told
    assert "+14155550101" not in told and "+33612345678" not in told


def test_a_parent_s_record_colliding_with_its_subaccount_s_call_is_refused(
    main_account, subaccount
):
    """The same account, not the same tree: a subaccount's call is not its parent's."""
    record = plivo_record(account=subaccount.auth_id)
    assert store_documents("calls", [record], account=main_account)[0].status == "stored"
    again = {k: v for k, v in record.items() if k != "account"}
    (outcome,) = store_documents("calls", [again], account=main_account)
    assert (outcome.status, outcome.conflict) == ("rejected", True)
    assert store_documents("calls", [record], account=main_account)[0].status == "duplicate"


def test_one_batch_repeating_a_call_uuid_for_two_accounts(main_account, subaccount):
    """The first row stores the call; a later one of the same account is a duplicate, of
    another account refused; a CarrierX row (written as its own group) judged the same."""
    first = plivo_record()
    same = dict(first)
    other = first | {"account": subaccount.auth_id}
    carrierx = {"dr_sid": first["call_uuid"], "direction": "outbound",
                "number_src": "+14155550100", "number_dst": "+442071234567",
                "date_start": first["initiation_time"], "date_stop": first["end_time"],
                "sipcause": "486", "partner_sid": str(subaccount.partner_sid)}  # fmt: skip
    outcomes = store_documents("calls", [first, same, other, carrierx], account=main_account)
    assert [(o.status, o.conflict) for o in outcomes] == [
        ("stored", False), ("duplicate", False), ("rejected", True), ("rejected", True)
    ]  # fmt: skip
    assert Call.objects.get(call_uuid=first["call_uuid"]).account_id == main_account.pk


def test_a_freeswitch_cdr_with_another_account_s_uuid_is_refused(main_account, other_account):
    uid = str(uuid4())
    theirs = loads(fs_sample.cdr(call_uuid=uid, caller="+14155550177"))
    mine = loads(fs_sample.cdr(call_uuid=uid, caller="+14155550188", outcome="busy"))
    assert store_documents("freeswitch", [theirs], account=other_account)[0].status == "stored"
    (outcome,) = store_documents("freeswitch", [mine], account=main_account)
    assert outcome == Outcome("rejected", uid, FOREIGN_REASON, conflict=True)
    assert store_documents("freeswitch", [theirs], account=other_account)[0].status == "duplicate"
    assert Call.objects.get(call_uuid=uid).from_number == "+14155550177"


def test_the_importer_counts_a_foreign_call_uuid_as_refused(main_account, other_account):
    theirs = plivo_record()
    call_import(records=[(1, theirs)], account=other_account)
    mine = [(1, plivo_record()), (2, plivo_record(call_uuid=theirs["call_uuid"]))]
    summary = call_import(records=mine, account=main_account)
    assert (summary.read, summary.stored, summary.duplicates, summary.rejected) == (2, 1, 0, 1)
    assert summary.errors == [(2, FOREIGN_REASON)]
    again = call_import(records=[(1, theirs)], account=other_account)
    assert (again.stored, again.duplicates, again.rejected) == (0, 1, 0)


def test_import_calls_reports_the_foreign_line(tmp_path, main_account, other_account):
    theirs = plivo_record()
    call_import(records=[(1, theirs)], account=other_account)
    path = tmp_path / "calls.jsonl"
    lines = [plivo_record(), plivo_record(call_uuid=theirs["call_uuid"]), plivo_record()]
    path.write_text("\n".join(json.dumps(record) for record in lines))
    out, err = StringIO(), StringIO()
    call_command("import_calls", str(path), "--account", main_account.auth_id,
                 "--verbosity", "0", "--max-refused", "1", stdout=out, stderr=err)  # fmt: skip
    assert out.getvalue().startswith("read 3, stored 2, duplicates 0, rejected 1"), out.getvalue()
    assert f"line 2: rejected: {FOREIGN_REASON}" in err.getvalue()
    assert other_account.auth_id not in out.getvalue() + err.getvalue()


def test_a_replayed_freeswitch_cdr_with_another_account_s_uuid_is_refused(
    tmp_path, main_account, other_account
):
    uid = str(uuid4())
    stored = store_documents("freeswitch", [loads(fs_sample.cdr(call_uuid=uid))],
                             account=other_account)  # fmt: skip
    assert stored[0].status == "stored"
    (tmp_path / f"{uid}.cdr.json").write_text(fs_sample.cdr(call_uuid=uid, outcome="busy"))
    out, err = StringIO(), StringIO()
    call_command("import_calls", str(tmp_path), "--format", "freeswitch", "--account",
                 main_account.auth_id, "--verbosity", "0", "--max-refused", "1",
                 stdout=out, stderr=err)  # fmt: skip
    assert out.getvalue().startswith("read 1, stored 0, duplicates 0, rejected 1"), out.getvalue()
    assert f"{uid}.cdr.json: rejected: {FOREIGN_REASON}" in err.getvalue()


@pytest.mark.postgres
def test_the_owners_of_calls_not_stored_are_read_from_their_partitions_only(main_account):
    """The one query that splits duplicates from foreign calls reads, per call_uuid, the
    key table and then the partition that holds it: never every partition."""
    now = datetime.now(UTC)
    asked = [CallFactory(account=main_account, end_time=now - timedelta(days=d)) for d in (20, 50)]
    CallFactory(account=main_account, end_time=now - timedelta(days=80))
    with CaptureQueriesContext(connection) as queries:
        found = loading.owners({call.call_uuid for call in asked} | {uuid4()})
    assert found == {call.call_uuid: main_account.pk for call in asked}
    (query,) = queries.captured_queries
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + query["sql"])
        plan = [row[0] for row in cur.fetchall()]
    read = {
        name
        for line in plan
        if "never executed" not in line
        for name in re.findall(r" on (calls_call_(?:p[0-9]+|default))\b", line)
    }
    assert read == {partitions.name_for(partitions.bounds_for(c.end_time)[0]) for c in asked}
