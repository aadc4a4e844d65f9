"""Each bad record of a batch is refused in its own place and the good ones beside it are
stored (issue 21): values JSON allows but a column does not, a list where text belongs,
billing values no call can have; in small batches (one INSERT) and large ones (COPY)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from calls.models import Call
from tests.factories import BearerTokenFactory
from tests.ingest.test_hostile_values import _batch_record as plivo  # a good Plivo record

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(main_account):
    token = BearerTokenFactory(account=main_account, scopes=["calls.write"])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.raw_secret}")


def carrierx(**over) -> dict:
    end = datetime.now(UTC) - timedelta(minutes=5)
    return {
        "dr_sid": str(uuid.uuid4()), "number_src": "+15012678830", "number_dst": "15162065451",
        "direction": "inbound", "date_start": (end - timedelta(seconds=30)).isoformat(),
        "date_talk": (end - timedelta(seconds=20)).isoformat(), "date_stop": end.isoformat(),
        "sipcause": "200", "price": "0.0025", "rate": "0.0025", "version": 2,
        "user_data": {"identity": "x"},
    } | over  # fmt: skip


def deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


# (the bad record's JSON text, a phrase of its reason). Each answered 500 before, and the
# good records beside it were not stored.
BAD = {
    "user_data NaN": (lambda: json.dumps(carrierx(user_data={"x": float("nan")})), "NaN"),
    "user_data Infinity": (
        lambda: json.dumps(carrierx(user_data={"x": float("inf")})), "Infinity"),
    "user_data NUL value": (lambda: json.dumps(carrierx(user_data={"x": "a\x00b"})), "NUL"),
    "user_data NUL key": (lambda: json.dumps(carrierx(user_data={"a\x00": 1})), "NUL"),
    "user_data surrogate": (
        lambda: json.dumps(carrierx(user_data={"x": "SURROGATE"})).replace(
            "SURROGATE", "\\udc80"), "surrogate"),
    "user_data deep": (lambda: json.dumps(carrierx(user_data=deep(200))), "nests deeper"),
    # Every list decodes it: a tenant's megabytes would stall every worker (hostile probe).
    "user_data 9 MB": (lambda: json.dumps(carrierx(user_data={f"k{i}": "v" * 100
                                                              for i in range(80_000)})),
                       "user_data is 9108890 bytes"),
    "user_data 16 KB + 1": (lambda: json.dumps(carrierx(user_data={"k": "é" * 8188})),
                            "bytes (at most 16384)"),
    "user_data text NaN": (
        lambda: json.dumps(carrierx(user_data='{"x": NaN}')), "not a JSON object"),
    "version 40000": (lambda: json.dumps(carrierx(version=40000)), "version is out of range"),
    "version -1": (lambda: json.dumps(carrierx(version=-1)), "version is negative"),
    "hangup_source list": (
        lambda: json.dumps(plivo(hangup_source=["Caller"])), "hangup_source"),
    "stir_attest list": (lambda: json.dumps(carrierx(stir_attest=["A"])), "stir_attest"),
    "call_direction list": (lambda: json.dumps(plivo(call_direction=["outbound"])),
                            "call_direction"),
    "partner_sid object": (lambda: json.dumps(carrierx(partner_sid={"a": 1})), "partner_sid"),
    "billed_duration huge": (
        lambda: json.dumps(plivo(billed_duration=2147483647)), "billed_duration"),
    "billed below bill": (lambda: json.dumps(plivo(billed_duration=30)), "less than"),
    "negative total_amount": (lambda: json.dumps(plivo(total_amount="-0.5")), "negative"),
    "negative total_rate": (lambda: json.dumps(plivo(total_rate=-1)), "negative"),
    "negative price": (lambda: json.dumps(carrierx(price="-0.0025")), "price is negative"),
    "negative rate": (lambda: json.dumps(carrierx(rate="-1")), "rate is negative"),
    "past retention": (
        lambda: json.dumps(plivo(**_ended(days=200))), "past the 90-day retention"),
}  # fmt: skip


def _ended(days: int) -> dict:
    end = datetime.now(UTC) - timedelta(days=days)
    return {
        "end_time": end.isoformat(), "initiation_time": (end - timedelta(seconds=70)).isoformat(),
        "answer_time": (end - timedelta(seconds=60)).isoformat(),
    }  # fmt: skip


@pytest.mark.parametrize("size", [3, 120], ids=["small batch", "batch over 50 rows"])
@pytest.mark.parametrize("case", BAD)
def test_a_bad_record_is_refused_in_its_place_and_the_rest_stored(writer, case, size):
    make, reason = BAD[case]
    good = [plivo() if i % 2 else carrierx() for i in range(size - 1)]
    at = size // 2
    lines = [json.dumps(g) for g in good]
    lines.insert(at, make())
    response = writer.post(
        "/ingest/v1/calls", "\n".join(lines), content_type="application/x-ndjson"
    )
    assert response.status_code == 422, response.content
    answer = response.json()
    assert (answer["stored"], answer["rejected"]) == (size - 1, 1)
    refused = answer["records"][at]
    assert refused["status"] == "rejected" and reason in refused["reason"], refused
    assert "SELECT" not in refused["reason"] and "INSERT" not in refused["reason"]
    keys = {str(g.get("call_uuid") or g.get("dr_sid")) for g in good}
    assert {str(u) for u in Call.objects.values_list("call_uuid", flat=True)} == keys


@pytest.mark.parametrize("size", [1, 120])
def test_version_is_never_wrapped_whatever_the_batch_size(writer, size):
    """Binary COPY into smallint once stored 70000 as 4464; a lone record was a 500."""
    records = [carrierx(version=2) for _ in range(size - 1)] + [carrierx(version=70000)]
    response = writer.post("/ingest/v1/calls", json.dumps(records), content_type="application/json")
    assert response.status_code == 422
    assert set(Call.objects.values_list("version", flat=True)) <= {2}
    assert Call.objects.count() == size - 1


def test_a_deep_user_data_within_the_limit_is_stored_as_given(writer):
    record = carrierx(user_data={"nested": deep(30), "unicode": "é ☎", "n": 1.5, "ok": None})
    response = writer.post(
        "/ingest/v1/calls", json.dumps([record]), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Call.objects.get().user_data == record["user_data"]


# Spellings of real exports the parsers read (docs/ingest.md, "What a record may say").
LIBERAL = {
    "enumerations in any case": (
        {"call_direction": "Outbound", "hangup_source": "CUSTOMER",
         "stir_verification": "NOT_APPLICABLE", "attestation_indicator": "b",
         "transport_protocol": "UDP", "from_country": "us"},
        {"call_direction": "outbound", "hangup_source": "customer",
         "stir_verification": "Not Applicable", "stir_attest": "B", "transport_protocol": "udp",
         "from_country": "US"}),
    "null spellings": (
        {"attestation_indicator": "null", "parent_call_uuid": "NULL", "trunk_domain": "",
         "total_amount": None},
        {"stir_attest": None, "parent_call_uuid": None, "trunk_domain": None}),
    "numbers as text and floats": (
        {"call_duration": "70", "bill_duration": 60.0, "hangup_cause_code": "4000"},
        {"call_duration": 70, "bill_duration": 60, "hangup_cause_code": 4000}),
    "unanswered with zero durations": (
        {"answer_time": "0000-00-00 00:00:00", "call_duration": 0, "bill_duration": 0},
        {"answer_time": None, "call_duration": 0, "bill_duration": 0}),
    "call_duration from the answer": (
        {"call_duration": 60}, {"call_duration": 60, "bill_duration": 60}),
}  # fmt: skip


@pytest.mark.parametrize("case", LIBERAL)
def test_real_export_spellings_are_stored_in_the_one_spelling(writer, case):
    given, stored = LIBERAL[case]
    record = plivo(**given)
    response = writer.post("/ingest/v1/calls", json.dumps(record), content_type="application/json")
    assert response.status_code == 200, response.content
    call = Call.objects.values(*stored).get(call_uuid=record["call_uuid"])
    assert call == stored


def test_epoch_times_are_read_in_seconds_milliseconds_and_microseconds(writer):
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    base = int(end.timestamp())
    record = plivo(end_time=base, initiation_time=str((base - 70) * 1000),
                   answer_time=(base - 60) * 1_000_000)  # fmt: skip
    response = writer.post("/ingest/v1/calls", json.dumps(record), content_type="application/json")
    assert response.status_code == 200, response.content
    call = Call.objects.get()
    assert (call.end_time, call.initiation_time, call.answer_time) == (
        end, end - timedelta(seconds=70), end - timedelta(seconds=60))  # fmt: skip


def test_a_withheld_caller_id_is_stored_with_an_empty_from_number(writer):
    """A From without a user part, a withheld caller ID: the call still happened."""
    record = plivo(from_number="")
    response = writer.post("/ingest/v1/calls", json.dumps(record), content_type="application/json")
    assert response.status_code == 200, response.content
    kamailio = {
        "start_time": f"{time.time() - 70:.3f}", "end_time": f"{time.time() - 60:.3f}",
        "duration": "10.000", "call_id": f"{uuid.uuid4()}@10.0.0.1", "from_user": "",
        "to_user": "442071234567", "sip_code": "486", "answered": "false", "answer_ts": "",
    }  # fmt: skip
    response = writer.post("/ingest/v1/kamailio", json.dumps(kamailio),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert list(Call.objects.values_list("from_number", flat=True)) == ["", ""]
