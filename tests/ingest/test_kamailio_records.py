"""Kamailio acc_json CDRs into importer records (calls/ingest/kamailio.py): the mapping,
the deterministic call_uuid, the hangup cause and source, and the CDRs it refuses."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Account
from calls.ingest.kamailio import KAMAILIO_NAMESPACE, call_uuid, own, to_record
from calls.vocabulary.choices import VOICE, ZENTRUNK
from calls.writing.record_rules import RecordError
from calls.writing.records import parse_records

# As the reference cfg's http_client posts them (../shared/switches/kamailio/NOTES.md),
# with the optional from_tag and ended_by our cfg adds.
ANSWERED = {
    "start_time": "1795433021.997", "end_time": "1795433024.004", "duration": "2.007",
    "call_id": "1-20854@127.0.0.1", "from_user": "+14155550100", "to_user": "442071234567",
    "sip_code": "200", "sip_reason": "OK", "answered": "true",
    "setup_ts": "1795433021.997965", "answer_ts": "1795433022.000245",
    "from_tag": "20854SIPpTag001", "ended_by": "caller",
}  # fmt: skip
BUSY = {
    "start_time": "1795433025.221", "end_time": "1795433025.221", "duration": "0",
    "call_id": "2-20856@127.0.0.1", "from_user": "sipp", "to_user": "busy2002",
    "sip_code": "486", "sip_reason": "Busy Here", "answered": "false",
    "setup_ts": "1795433025.221437", "answer_ts": "",
}  # fmt: skip

SAMPLES_READ_AT = datetime(2026, 11, 24, tzinfo=UTC)


def stored(doc: dict, account, product: str = ZENTRUNK) -> dict:
    """The column values the importer makes of the CDR's record (or its RecordError)."""
    record = to_record(doc, product=product)
    record.pop("account", None)
    own(record, account)
    # The samples' calls ended on 2026-11-23: read them as on the day after, in retention.
    with time_machine.travel(SAMPLES_READ_AT, tick=False):
        [(_, values)] = parse_records([(1, record)], account=account, product=product)
    if isinstance(values, RecordError):
        raise values
    return values


def test_an_answered_call_keeps_its_numbers_times_and_durations(main_account):
    values = stored(ANSWERED, main_account)
    assert values["from_number"] == "+14155550100"
    assert values["to_number"] == "442071234567"
    assert values["call_direction"] == "outbound"
    assert values["initiation_time"] == datetime(2026, 11, 23, 11, 23, 41, 997000, tzinfo=UTC)
    assert values["answer_time"] == datetime(2026, 11, 23, 11, 23, 42, 245, tzinfo=UTC)
    assert values["end_time"] == datetime(2026, 11, 23, 11, 23, 44, 4000, tzinfo=UTC)
    assert (values["call_duration"], values["bill_duration"]) == (2, 2)
    assert values["duration"] == Decimal("2.00700")
    assert values["product"] == ZENTRUNK
    assert (values["from_country"], values["to_country"]) == ("US", "GB")


def test_the_caller_hanging_up_is_the_customer_and_the_callee_the_carrier(main_account):
    by_caller = stored(ANSWERED, main_account)
    assert (by_caller["hangup_cause_code"], by_caller["hangup_source"]) == (3010, "customer")
    by_callee = stored(ANSWERED | {"ended_by": "callee"}, main_account)
    assert (by_callee["hangup_cause_code"], by_callee["hangup_source"]) == (3000, "carrier")
    inbound = stored(ANSWERED | {"direction": "inbound"}, main_account)
    assert (inbound["hangup_cause_code"], inbound["hangup_source"]) == (3000, "carrier")


def test_an_answered_call_without_ended_by_is_ended_by_the_customer(main_account):
    doc = {k: v for k, v in ANSWERED.items() if k != "ended_by"}
    values = stored(doc, main_account)
    assert (values["hangup_cause_code"], values["hangup_source"]) == (3010, "customer")


def test_a_busy_callee_is_user_busy_from_the_far_side(main_account):
    values = stored(BUSY, main_account)
    assert values["answer_time"] is None
    assert (values["call_duration"], values["bill_duration"]) == (0, 0)
    assert (values["hangup_cause_code"], values["hangup_source"]) == (4410, "carrier")
    inbound = stored(BUSY | {"direction": "inbound"}, main_account)
    assert (inbound["hangup_cause_code"], inbound["hangup_source"]) == (4410, "customer")


@pytest.mark.parametrize(
    ("sip_code", "cause", "source"),
    [("487", 4440, "customer"), ("404", 4310, "carrier"), ("603", 6040, "carrier"),
     ("408", 4160, "carrier"), ("499", 0, "carrier"), ("", 0, "carrier")],
)  # fmt: skip
def test_each_failure_maps_to_the_zentrunk_catalogue(main_account, sip_code, cause, source):
    values = stored(BUSY | {"sip_code": sip_code}, main_account)
    assert (values["hangup_cause_code"], values["hangup_source"]) == (cause, source)


def test_a_voice_product_uses_the_voice_catalogue_and_parties(main_account):
    answered = stored(ANSWERED | {"ended_by": "callee"}, main_account, VOICE)
    assert (answered["hangup_cause_code"], answered["hangup_source"]) == (4000, "Callee")
    busy = stored(BUSY, main_account, VOICE)
    assert (busy["hangup_cause_code"], busy["hangup_source"]) == (3010, "Callee")
    canceled = stored(BUSY | {"sip_code": "487"}, main_account, VOICE)
    assert (canceled["hangup_cause_code"], canceled["hangup_source"]) == (1000, "Caller")


def uuid_of(doc: dict, account) -> str:
    record = to_record(doc)
    own(record, account)
    return record["call_uuid"]


def test_the_call_uuid_is_the_same_for_the_same_dialog_of_the_same_account_only():
    mine, theirs = Account(partner_sid=uuid.uuid4()), Account(partner_sid=uuid.uuid4())
    first = uuid_of(ANSWERED, mine)
    assert uuid_of(dict(ANSWERED), mine) == first
    assert uuid_of(ANSWERED | {"end_time": "1795433025.004"}, mine) == first
    assert uuid_of(ANSWERED | {"from_tag": "other"}, mine) != first
    assert uuid_of(ANSWERED | {"call_id": "3-1@127.0.0.1"}, mine) != first
    # Another account posting the same dialog gets another call.
    assert uuid_of(ANSWERED, theirs) != first
    name = f"{mine.partner_sid};1-20854@127.0.0.1;20854SIPpTag001"
    assert first == str(uuid.uuid5(KAMAILIO_NAMESPACE, name))
    assert first == str(call_uuid(str(mine.partner_sid).upper(), *name.split(";")[1:]))
    # docs/kamailio.md's example.
    documented = call_uuid("5f0c1a4e-8d2b-4c3a-9e7f-1b2c3d4e5f60", *name.split(";")[1:])
    assert documented == uuid.UUID("9502402d-f8c2-5a5a-b8ce-f2eb87e74329")
    # The namespace is fixed for ever: uuid5(NAMESPACE_URL, "urn:cdrapi:kamailio").
    assert uuid.uuid5(uuid.NAMESPACE_URL, "urn:cdrapi:kamailio") == KAMAILIO_NAMESPACE
    without_tag = str(uuid.uuid5(KAMAILIO_NAMESPACE, f"{mine.partner_sid};2-20856@127.0.0.1"))
    assert (
        uuid_of(BUSY, mine) == without_tag == str(call_uuid(mine.partner_sid, "2-20856@127.0.0.1"))
    )


def test_the_account_is_passed_on_when_the_cdr_names_one():
    assert "account" not in to_record(ANSWERED)
    assert to_record(ANSWERED | {"account": "SA" + "B" * 18})["account"] == "SA" + "B" * 18


def test_a_call_hung_up_in_the_millisecond_it_was_answered_is_kept(main_account):
    # acc cuts end_time to the millisecond; answer_ts has microseconds.
    doc = ANSWERED | {"end_time": "1795433022.000", "duration": "0.003"}
    values = stored(doc | {"answer_ts": "1795433022.000245"}, main_account)
    assert values["answer_time"] == values["end_time"]
    assert (values["call_duration"], values["bill_duration"]) == (0, 0)
    with pytest.raises(RecordError, match="answer_time is after end_time"):
        stored(doc | {"answer_ts": "1795433022.001"}, main_account)


def test_numbers_as_json_numbers_are_read_too(main_account):
    values = stored(BUSY | {"start_time": 1795433025.221, "end_time": 1795433026}, main_account)
    assert values["call_duration"] == 0
    assert values["end_time"] == datetime(2026, 11, 23, 11, 23, 46, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"call_id": ""}, "call_id is required"),
        ({"to_user": None}, "to_user is required"),
        ({"end_time": "soon"}, "end_time is not a number of seconds: 'soon'"),
        ({"start_time": "-5"}, "start_time is out of range: -5"),
        ({"start_time": "NaN"}, "start_time is out of range: NaN"),
        ({"answered": "yes"}, "answered must be true or false; got 'yes'"),
        ({"answered": ""}, "answered is required"),
        ({"answer_ts": ""}, "answered is true but answer_ts is empty"),
        ({"answered": "false", "sip_code": "486"}, "answered is false but answer_ts is set"),
        ({"sip_code": "486"}, "answered is true but sip_code is 486"),
        ({"sip_code": "48"}, "sip_code is not a SIP status code: '48'"),
        ({"sip_code": "180"}, "sip_code is not a SIP status code: '180'"),
        ({"duration": "9.5"}, "duration is 9.5 s but end_time - start_time is 2.007 s"),
        ({"direction": "sideways"}, "direction must be one of inbound, outbound"),
        ({"ended_by": "proxy"}, "ended_by must be one of caller, callee; got 'proxy'"),
        ({"to_user": {"user": "1"}}, "to_user must be a string"),
        ({"call_id": True}, "call_id must be a string"),
        ({"call_id": "a\x00b"}, "call_id contains a NUL character"),
    ],
)
def test_a_bad_cdr_is_refused_with_its_reason(change, reason):
    with pytest.raises(RecordError) as refused:
        to_record(ANSWERED | change)
    assert str(refused.value) == reason


def test_a_cdr_that_is_not_an_object_is_refused():
    with pytest.raises(RecordError, match="not an object"):
        to_record(["call_id", "1"])  # type: ignore[arg-type]


def test_times_out_of_order_are_refused_by_the_record_rules(main_account):
    with pytest.raises(RecordError, match="answer_time is after end_time"):
        stored(ANSWERED | {"answer_ts": "1795433030"}, main_account)
    with pytest.raises(RecordError, match="end_time is more than 5 minutes in the future"):
        stored(BUSY | {"start_time": "4102444800", "end_time": "4102444800"}, main_account)
