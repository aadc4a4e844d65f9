"""import_calls: both field-name styles, JSONL and CSV, bad lines, --strict, idempotency."""

import csv
import io
import json
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.bulk.imports import call_import
from calls.models import Call
from tests.commands import call_storing
from tests.recent import days_to_move, moved

pytestmark = pytest.mark.django_db

# Written with November 2026 dates; moved so that 2026-11-20 is five days ago.
MOVE = days_to_move(date(2026, 11, 20), days_ago=5)
PLIVO = moved([
    {
        "answer_time": "2026-11-20 14:03:11+00:00", "bill_duration": 924,
        "billed_duration": 960, "call_direction": "outbound", "call_duration": 937,
        "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8",
        "end_time": "2026-11-20 14:18:35+00:00", "from_number": "+14158572518",
        "hangup_cause_code": 3010, "hangup_cause_name": "normal_hangup",
        "hangup_source": "customer", "initiation_time": "2026-11-20 14:02:58+00:00",
        "parent_call_uuid": None, "resource_uri": "/v1/Account/MA/Call/eba53b9e/",
        "stir_verification": "Verified", "to_number": "14153268174",
        "total_amount": "0.13600", "total_rate": "0.00850",
    },
    {
        "answer_time": None, "bill_duration": 0, "billed_duration": 0,
        "call_direction": "inbound", "call_uuid": "0b7f5f0e-8d9a-4c39-9d8e-0c1a2b3c4d5e",
        "end_time": "2026-11-20 16:00:05+01:00", "from_number": "442071234567",
        "hangup_cause_code": 6040, "hangup_source": "carrier",
        "initiation_time": "2026-11-20 15:59:50+01:00", "stir_verification": "Not Applicable",
        "to_number": "+14155550100", "total_amount": "0", "total_rate": "0.00850",
    },
], MOVE)  # fmt: skip
CARRIERX = moved({
    "cic": None, "codec_dst": "g722", "codec_src": "amrwb",
    "date_insert": "2026-11-18T15:35:03.000Z", "date_start": "2026-11-18T15:32:15.589Z",
    "date_stop": "2026-11-18T15:32:19.839Z", "date_talk": "2026-11-18T15:32:16.535Z",
    "direction": "inbound", "disconnect_originator": "DST", "diversion_dst": "+15162065451",
    "dr_sid": "c02a73b2-8401-459a-af7e-f4cc3eee7854", "duration": "4.25015",
    "duration_billing": "60", "endpoint_sid_dst": "1ce5a6da-7d72-448a-ab81-897fe24b8f02",
    "ip_dst": "10.222.2.197:5060", "ip_src": "162.251.180.18", "number_billing": "15162065451",
    "number_dst": "15162065451", "number_external": "15012678830", "number_src": "+15012678830",
    "price": "0.0025", "price_lcr_dst": "0.0025", "rate": "0.0025", "rate_lcr_dst": "0.005",
    "sipcallid_src": "428ac5df4582bea66501f7d45199a18d@162.251.180.24", "sipcause": "200",
    "stir_attest": "A", "stir_identity": "false", "stir_orig_id": "+15012678830",
    "stir_signing_entity": "carrierX", "stir_verstat": None, "transcoded": True,
    "trunk_sid_dst": "7098d9f8-c8f2-400f-a31a-61ef7755985c", "type": "telecom",
    "user_data": {"identity": "eyJ0eXAiOiJwYXNzcG9ydCIs"}, "version": 2,
}, MOVE)  # fmt: skip


def _jsonl(tmp_path, records, name="calls.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def _csv(tmp_path, records, name="calls.csv"):
    path = tmp_path / name
    keys = sorted({k for r in records for k in r})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        for r in records:
            writer.writerow(
                {
                    k: ("" if v is None else json.dumps(v) if isinstance(v, dict) else v)
                    for k, v in r.items()
                }
            )
    return str(path)


def _import(path, account, *args):
    out, err = io.StringIO(), io.StringIO()
    call_storing(
        "import_calls", path, "--account", account.auth_id, "-v", "0", *args, stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("writer", [_jsonl, _csv])
def test_plivo_records_are_imported_with_their_fields(tmp_path, main_account, writer):
    out, _ = _import(writer(tmp_path, PLIVO), main_account)
    assert "read 2, stored 2, duplicates 0, rejected 0" in out
    call = Call.objects.get(call_uuid=PLIVO[0]["call_uuid"])
    assert call.account == main_account
    assert call.bill_duration == 924 and call.billed_duration == 960
    assert call.total_amount == Decimal("0.13600") and call.hangup_cause_code == 3010
    assert call.product == "zentrunk" and call.hangup_source == "customer"  # no product key
    assert call.from_number == "+14158572518" and call.from_number_norm == "14158572518"
    missed = Call.objects.get(call_uuid=PLIVO[1]["call_uuid"])
    assert missed.answer_time is None
    assert missed.end_time.isoformat() == moved(
        "2026-11-20T15:00:05+00:00", MOVE
    )  # offset honoured


@pytest.mark.parametrize("writer", [_jsonl, _csv])
def test_carrierx_records_are_imported_and_plivo_fields_derived(tmp_path, main_account, writer):
    out, _ = _import(writer(tmp_path, [CARRIERX]), main_account)
    assert "stored 1" in out
    call = Call.objects.get(call_uuid=CARRIERX["dr_sid"])
    assert call.to_number == "15162065451" and call.from_number == "+15012678830"
    assert call.duration == Decimal("4.25015") and call.billed_duration == 60
    assert call.bill_duration == 3  # date_stop - date_talk
    assert call.product == "zentrunk"  # CarrierX records are SIP-trunking calls
    assert call.hangup_cause_code == 3010  # SIP 200: normal_hangup, by the customer
    assert call.hangup_source == "customer"  # inbound, hung up by the destination side
    assert call.stir_verification == "Verified" and call.stir_attest == "A"
    assert call.user_data == CARRIERX["user_data"] and call.transcoded is True
    assert str(call.trunk_sid_dst) == CARRIERX["trunk_sid_dst"]
    assert call.ip_dst == "10.222.2.197:5060" and call.total_amount == Decimal("0.0025")


def test_missing_plivo_times_are_derived_from_durations(tmp_path, main_account):
    record = {k: v for k, v in PLIVO[0].items() if k not in {"initiation_time", "bill_duration"}}
    _import(_jsonl(tmp_path, [record]), main_account)
    call = Call.objects.get()
    assert call.initiation_time.isoformat() == moved(
        "2026-11-20T14:02:58+00:00", MOVE
    )  # end - 937 s
    assert call.bill_duration == 924  # end - answer
    bare = {k: v for k, v in record.items() if k != "call_duration"}
    _, err = _import(_jsonl(tmp_path, [{**bare, "call_uuid": str(uuid4())}]), main_account)
    assert "initiation_time or call_duration is required" in err


def test_records_find_their_account_by_partner_sid(tmp_path, main_account, capsys):
    record = {**CARRIERX, "partner_sid": str(main_account.partner_sid)}
    stranger = {
        **CARRIERX,
        "dr_sid": "11111111-1111-4111-8111-111111111111",
        "partner_sid": "22222222-2222-4222-8222-222222222222",
    }
    assert call_storing("import_calls", _jsonl(tmp_path, [record, stranger]), "-v", "0") == 3
    assert Call.objects.get().account == main_account
    captured = capsys.readouterr()
    assert "line 2: rejected: no account has partner_sid" in captured.err


def test_bad_lines_are_reported_with_their_line_numbers_and_good_ones_kept(tmp_path, main_account):
    lines = [
        json.dumps(PLIVO[0]),
        "{not json",
        json.dumps({**PLIVO[1], "call_direction": "sideways"}),
        "",
        json.dumps({**PLIVO[1], "call_uuid": "nope"}),
        json.dumps({**PLIVO[1], "end_time": "2026-02-30 10:00:00"}),
        json.dumps({**PLIVO[1], "bill_duration": -5}),
        json.dumps({k: v for k, v in PLIVO[1].items() if k != "to_number"}),
        json.dumps(PLIVO[1]),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out, err = _import(str(path), main_account)
    assert "read 8, stored 2, duplicates 0, rejected 6" in out
    assert "line 2: rejected: not valid JSON" in err
    assert "line 3: rejected: call_direction must be one of inbound, outbound" in err
    assert "line 5: rejected: call_uuid is not a UUID" in err
    assert "line 6: rejected: end_time is not a date and time" in err
    assert "line 7: rejected: bill_duration is negative: -5" in err
    assert "line 8: rejected: to_number is required" in err
    assert Call.objects.count() == 2


def test_strict_aborts_the_whole_file_leaving_nothing(tmp_path, main_account):
    lines = [json.dumps(PLIVO[0]), json.dumps(PLIVO[1]), "{broken"]
    path = tmp_path / "strict.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError, match=r"line 3: not valid JSON.*nothing was imported"):
        _import(str(path), main_account, "--strict", "--batch-size", "1")
    assert Call.objects.count() == 0


def test_reimporting_the_same_file_stores_each_call_once(tmp_path, main_account):
    path = _jsonl(tmp_path, [*PLIVO, PLIVO[0]])
    first, _ = _import(path, main_account)
    second, _ = _import(path, main_account)
    assert "read 3, stored 2, duplicates 1" in first
    assert "read 3, stored 0, duplicates 3" in second
    assert Call.objects.count() == 2


def test_it_reads_standard_input(main_account, monkeypatch):
    data = "".join(json.dumps(r) + "\n" for r in PLIVO).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out, _ = _import("-", main_account)
    assert "stored 2" in out
    assert Call.objects.count() == 2


def test_csv_from_standard_input_needs_no_flag(main_account, monkeypatch, tmp_path):
    with open(_csv(tmp_path, PLIVO), "rb") as handle:
        data = handle.read()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out, _ = _import("-", main_account)
    assert "stored 2" in out


def test_unknown_files_and_accounts_are_command_errors(main_account, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        _import(str(tmp_path / "missing.jsonl"), main_account)
    with pytest.raises(CommandError, match="No account"):
        call_command("import_calls", _jsonl(tmp_path, PLIVO), "--account", "MA" + "0" * 18)


# --- the record rules: time order, durations that match the times, sane timestamps ------------
def _plivo(**changes):
    """PLIVO[0] (answered, 937 s, 924 s talked) with changes; None removes a field."""
    record = {**PLIVO[0], "call_uuid": str(uuid4())}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


def _carrierx(**changes):
    record = {**CARRIERX, "dr_sid": str(uuid4())}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


# (record, the reason it must be rejected with). Each was stored (or aborted the import)
# before the rules existed.
INCONSISTENT = [
    # start after end: stored with call_duration -3600
    (_plivo(initiation_time=moved("2026-11-20 15:18:35+00:00", MOVE), call_duration=None,
            answer_time=None, bill_duration=None), "initiation_time is after end_time"),
    # answer after end: stored with bill_duration -600
    (_plivo(answer_time=moved("2026-11-20 14:28:35+00:00", MOVE), bill_duration=None),
     "answer_time is after end_time"),
    (_plivo(answer_time=moved("2026-11-20 14:02:00+00:00", MOVE)),
     "answer_time is before initiation_time"),
    # a year-1 timestamp aborted the whole import with a DataError
    (_plivo(end_time="0001-01-01 00:00:00", initiation_time=None, answer_time=None),
     "end_time is before 2000-01-01"),
    (_plivo(initiation_time="0001-01-01T00:00:00+05:00"), "initiation_time is before 2000-01-01"),
    (_plivo(end_time="2099-01-01 00:00:00"), "end_time is more than 5 minutes in the future"),
    (_plivo(call_duration=5000), "call_duration is 5000 s but end_time - initiation_time is 937 s"),
    (_plivo(bill_duration=3000), "bill_duration is 3000 s but end_time - answer_time is 924 s"),
    (_plivo(answer_time=None, bill_duration=30),
     "bill_duration is 30 s but there is no answer_time"),
    (_carrierx(date_start=moved("2026-11-18T15:42:15.589Z", MOVE)),
     "date_start is after date_stop"),
    (_carrierx(date_talk=moved("2026-11-18T15:33:16.535Z", MOVE)), "date_talk is after date_stop"),
    (_carrierx(duration="-4.25"), "duration is negative"),
    (_carrierx(duration="400"), "duration is 400 s but date_stop - date_start is 4.25 s"),
    (_carrierx(date_insert="1999-12-31T23:59:59.999Z"), "date_insert is before 2000-01-01"),
]  # fmt: skip


@pytest.mark.parametrize(("record", "reason"), INCONSISTENT, ids=[r for _, r in INCONSISTENT])
def test_an_inconsistent_record_is_rejected_with_its_reason_and_the_rest_stored(
    tmp_path, main_account, record, reason
):
    make, key = (_plivo, "call_uuid") if "call_uuid" in record else (_carrierx, "dr_sid")
    good = [make(), make()]
    out, err = _import(_jsonl(tmp_path, [good[0], record, good[1]]), main_account)
    assert f"line 2: rejected: {reason}" in err
    assert "read 3, stored 2, duplicates 0, rejected 1" in out
    stored = {str(u) for u in Call.objects.values_list("call_uuid", flat=True)}
    assert stored == {good[0][key], good[1][key]}


def _consistent(row: dict, now) -> bool:
    """The record rules restated plainly over a stored row: the reference for the oracle."""
    start, answer, end = row["initiation_time"], row["answer_time"], row["end_time"]
    span = (end - start).total_seconds()
    talk = (end - answer).total_seconds() if answer is not None else 0
    times = [t for t in (start, answer, end, row["date_insert"]) if t is not None]
    bill, billed = row["bill_duration"], row["billed_duration"]
    return (
        all(datetime(2000, 1, 1, tzinfo=UTC) <= t <= now + timedelta(minutes=5) for t in times)
        and start <= end
        and (answer is None or start <= answer <= end)
        and end >= now - timedelta(days=90)
        and 0 <= row["call_duration"] <= span + 1
        and 0 <= float(row["duration"]) <= span + 1
        and 0 <= bill <= talk + 1
        and (answer is not None or bill == 0)
        and 0 <= billed <= bill + 3600
        and (billed == 0 or billed >= bill - 1)
    )


offsets = st.one_of(st.none(), st.integers(-7200, 7200))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    start=st.integers(-4000, 100), answer=offsets, call_duration=offsets,
    bill_duration=offsets, billed_duration=offsets,
    end_year=st.sampled_from([1, 1999, 2000, 0, 0, 2099]),
    days_ago=st.sampled_from([0, 0, 89, 91, 200]),
)  # fmt: skip
def test_stored_rows_are_exactly_the_consistent_records(
    main_account,
    start,
    answer,
    call_duration,
    bill_duration,
    billed_duration,
    end_year,
    days_ago,
):
    """Random times and durations: the importer stores a record if and only if the plain
    reference says it is a call that can be, and whatever it stores is one."""
    now = datetime.now(UTC)
    end = (now - timedelta(days=days_ago, hours=2)).replace(microsecond=0)
    end = end.replace(year=end_year) if end_year else end
    record = {
        "call_uuid": str(uuid4()), "from_number": "+14155550100", "to_number": "442071234567",
        "call_direction": "outbound", "end_time": end.isoformat(),
        "initiation_time": (end + timedelta(seconds=start)).isoformat(),
    }  # fmt: skip
    if answer is not None:
        record["answer_time"] = (end + timedelta(seconds=start + answer)).isoformat()
    durations = (
        ("call_duration", call_duration),
        ("bill_duration", bill_duration),
        ("billed_duration", billed_duration),
    )
    for name, value in durations:
        if value is not None:
            record[name] = abs(value) if abs(value) < 7000 else value  # some negative ones
    summary = call_import(records=[(1, record)], account=main_account)
    stored = list(Call.objects.filter(call_uuid=record["call_uuid"]).values())
    assert summary.stored == len(stored)
    if stored:
        assert _consistent(stored[0], now)
    else:
        assert summary.rejected == 1
        # what the importer would have made of it, had it not checked
        begin = end + timedelta(seconds=start)
        would_be = {
            "initiation_time": begin, "end_time": end, "date_insert": end,
            "answer_time": None if answer is None else begin + timedelta(seconds=answer),
        }  # fmt: skip
        span = (end - would_be["initiation_time"]).total_seconds()
        talk = (end - would_be["answer_time"]).total_seconds() if answer is not None else 0
        would_be["call_duration"] = record.get("call_duration", int(span))
        would_be["duration"] = span
        would_be["bill_duration"] = record.get("bill_duration", int(talk))
        would_be["billed_duration"] = record.get("billed_duration", would_be["bill_duration"])
        assert not _consistent(would_be, now)


def test_seeded_calls_obey_the_record_rules(main_account):
    """The synthetic feed is realistic: every row it makes passes the importer's rules."""
    from calls.bulk.synthetic import COLUMNS, CallGenerator

    now = datetime.now(UTC)
    generator = CallGenerator(account_ids=[main_account.pk], days=30, seed=4, now=now)
    for row in generator.rows(3000):
        values = dict(zip(COLUMNS, row, strict=True))
        values["duration"] = Decimal(values["duration"])
        assert _consistent(values, now), values


# --- products: Voice or SIP-trunking calls, each with its own hangup sources ----------------
# A Voice API call object as Plivo's /Call/ lists it, and the Zentrunk fields of a trunk call.
VOICE_CALL = {
    **PLIVO[0], "product": "voice", "hangup_cause_code": 4000,
    "hangup_cause_name": "Normal Hangup", "hangup_source": "Call recipient",
}  # fmt: skip
TRUNK_FIELDS = {
    "trunk_domain": "21784177241578.zt.plivo.com", "transport_protocol": "tls", "srtp": True,
    "secure_trunking": True, "secure_trunking_rate": "0.00050", "from_country": "US",
    "to_country": "CA", "attestation_indicator": "B", "rtt": 62.5, "jitter": 3.1,
    "packet_loss": 0.25, "post_dial_delay": 2.4, "plivo_quality_score": 4.3,
}  # fmt: skip


def _lines(tmp_path, *records, name="calls.jsonl"):
    return _jsonl(tmp_path, [{**r, "call_uuid": str(uuid4())} for r in records], name)


@pytest.mark.parametrize("writer", [_jsonl, _csv])
def test_a_voice_record_is_stored_as_a_voice_call_with_its_source_canonical(
    tmp_path, main_account, writer
):
    out, err = _import(writer(tmp_path, [VOICE_CALL]), main_account)
    assert "stored 1" in out, err
    call = Call.objects.get()
    assert call.product == "voice" and call.hangup_cause_code == 4000
    assert call.hangup_source == "Callee"  # "Call recipient" is Plivo's other spelling
    assert (call.trunk_domain, call.transport_protocol, call.srtp) == (None, None, False)


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({**PLIVO[0], "hangup_source": "Caller"},
         "hangup_source 'Caller' is not a zentrunk source: one of customer, carrier, zentrunk"),
        ({**PLIVO[0], "product": "zentrunk", "hangup_source": "Callee"},
         "hangup_source 'Callee' is not a zentrunk source"),
        ({**VOICE_CALL, "hangup_source": "customer"},
         "hangup_source 'customer' is not a voice source: one of Caller, Callee, Plivo, "
         "Carrier, API Request, Answer XML, Error, Unknown; 'Call recipient' is read as "
         "'Callee'"),
        ({**VOICE_CALL, "hangup_source": "ZENTRUNK"},  # Zentrunk's, in any case
         "hangup_source 'ZENTRUNK' is not a voice source"),
        ({**PLIVO[0], "product": "sip"}, "product must be one of voice, zentrunk; got 'sip'"),
    ],
)  # fmt: skip
def test_a_source_outside_its_products_vocabulary_is_rejected_naming_both(
    tmp_path, main_account, record, reason
):
    out, err = _import(_lines(tmp_path, PLIVO[1], record), main_account)
    assert f"line 2: rejected: {reason}" in err
    assert "stored 1" in out


def test_each_product_accepts_its_own_sources(tmp_path, main_account):
    voice = ["Caller", "Callee", "Call recipient", "Plivo", "Carrier", "API Request",
             "Answer XML", "Error", "Unknown"]  # fmt: skip
    records = [{**VOICE_CALL, "hangup_source": source} for source in voice]
    records += [{**PLIVO[0], "hangup_source": s} for s in ("customer", "carrier", "zentrunk")]
    out, err = _import(_lines(tmp_path, *records), main_account)
    assert "stored 12" in out and not err
    stored = set(Call.objects.values_list("product", "hangup_source"))
    assert stored == {("voice", s) for s in voice if s != "Call recipient"} | {
        ("zentrunk", "customer"),
        ("zentrunk", "carrier"),
        ("zentrunk", "zentrunk"),
    }


def test_a_record_without_a_source_gets_its_products_default(tmp_path, main_account):
    bare = {k: v for k, v in VOICE_CALL.items() if k != "hangup_source"}
    _import(_lines(tmp_path, bare, {**bare, "product": "zentrunk"}), main_account)
    assert set(Call.objects.values_list("product", "hangup_source")) == {
        ("voice", "Unknown"),
        ("zentrunk", "customer"),
    }


def test_the_product_option_overrides_every_records_own(tmp_path, main_account):
    path = _lines(
        tmp_path,
        {**PLIVO[0], "hangup_source": "Caller"},  # no product key: zentrunk without the option
        {**VOICE_CALL, "product": "zentrunk"},
        {**PLIVO[0], "hangup_source": "customer"},
    )
    out, err = _import(path, main_account, "--product", "voice")
    assert "stored 2, duplicates 0, rejected 1" in out
    assert "line 3: rejected: hangup_source 'customer' is not a voice source" in err
    assert set(Call.objects.values_list("product", flat=True)) == {"voice"}
    with pytest.raises(CommandError, match="invalid choice"):
        _import(path, main_account, "--product", "sip")


@pytest.mark.parametrize("writer", [_jsonl, _csv])
def test_the_zentrunk_and_quality_fields_are_imported_when_present(tmp_path, main_account, writer):
    out, err = _import(writer(tmp_path, [{**PLIVO[0], **TRUNK_FIELDS}]), main_account)
    assert "stored 1" in out, err
    call = Call.objects.get()
    assert call.trunk_domain == "21784177241578.zt.plivo.com"
    assert (call.transport_protocol, call.srtp, call.secure_trunking) == ("tls", True, True)
    assert call.secure_trunking_rate == Decimal("0.00050")
    assert (call.from_country, call.to_country) == ("US", "CA")  # as recorded, not derived
    assert call.stir_attest == "B"  # Plivo's attestation_indicator
    assert (call.rtt, call.jitter, call.packet_loss) == (62.5, 3.1, 0.25)
    assert (call.post_dial_delay, call.quality_score) == (2.4, 4.3)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"from_country": "usa"}, "from_country must be two letters"),
        ({"to_country": "C1"}, "to_country must be two letters"),
        ({"transport_protocol": "sctp"}, "transport_protocol must be one of udp, tcp, tls"),
        ({"srtp": "maybe"}, "srtp must be true or false; got 'maybe'"),
        ({"secure_trunking_rate": "lots"}, "secure_trunking_rate is not a decimal number"),
        ({"attestation_indicator": "D"}, "attestation_indicator must be one of A, B, C"),
        ({"packet_loss": 150}, "packet_loss must be from 0 to 100; got 150"),
        ({"rtt": -1}, "rtt must be from 0 to 100000; got -1"),
        ({"jitter": "fast"}, "jitter is not a number: 'fast'"),
        ({"plivo_quality_score": 7}, "plivo_quality_score must be from 1 to 5; got 7"),
        ({"quality_score": 0.5}, "quality_score must be from 1 to 5; got 0.5"),
    ],
)  # fmt: skip
def test_a_bad_zentrunk_or_quality_field_is_rejected(tmp_path, main_account, changes, reason):
    out, err = _import(_lines(tmp_path, PLIVO[1], {**PLIVO[0], **changes}), main_account)
    assert f"line 2: rejected: {reason}" in err, err
    assert "stored 1" in out


def test_a_voice_call_cannot_carry_trunk_fields(tmp_path, main_account):
    records = [{**VOICE_CALL, "trunk_domain": "1.zt.plivo.com"}, {**VOICE_CALL, "srtp": True},
               {**VOICE_CALL, "srtp": False, "rtt": 80, "from_country": "US"}]  # fmt: skip
    out, err = _import(_lines(tmp_path, *records), main_account)
    assert (
        "line 1: rejected: trunk_domain is a SIP-trunking field, but the record is a voice " in err
    )
    assert "line 2: rejected: srtp is a SIP-trunking field" in err
    assert "stored 1" in out  # quality and countries are any call's


@pytest.mark.parametrize(
    ("from_number", "to_number", "countries"),
    [
        ("+14158572518", "14153268174", ("US", "US")),
        ("442071234567", "+16135550123", ("GB", "CA")),  # Ottawa: +1 is not only the US
        ("+4930123456", "sip:alice@example.com", ("DE", None)),
        ("02071234567", "+80012345678", (None, None)),  # national; non-geographic
        ("sip:+33144556677@host;transport=tls", "anonymous", ("FR", None)),
    ],
)
def test_missing_countries_are_derived_from_the_numbers(
    tmp_path, main_account, from_number, to_number, countries
):
    record = {**PLIVO[0], "from_number": from_number, "to_number": to_number}
    _import(_jsonl(tmp_path, [record]), main_account)
    assert Call.objects.values_list("from_country", "to_country").get() == countries


def test_carrierx_records_are_zentrunk_unless_their_product_says_otherwise(tmp_path, main_account):
    records = [
        {**CARRIERX, "dr_sid": str(uuid4())},
        {**CARRIERX, "dr_sid": str(uuid4()), "disconnect_originator": "SRC"},
        {**CARRIERX, "dr_sid": str(uuid4()), "sipcause": "486"},
        {**CARRIERX, "dr_sid": str(uuid4()), "product": "voice"},
        {**CARRIERX, "dr_sid": str(uuid4()), "product": "voice", "sipcause": "486"},
    ]
    _import(_jsonl(tmp_path, records), main_account)
    stored = [
        Call.objects.values_list("product", "hangup_cause_code", "hangup_source").get(
            call_uuid=r["dr_sid"]
        )
        for r in records
    ]
    assert stored == [
        ("zentrunk", 3010, "customer"),  # inbound: DST is the customer's side
        ("zentrunk", 3000, "carrier"),  # normal_hangup, by the carrier
        ("zentrunk", 4410, "customer"),  # user_busy
        ("voice", 4000, "Callee"),  # Normal Hangup
        ("voice", 3010, "Callee"),  # Busy Line
    ]
    assert Call.objects.filter(from_country="US", to_country="US").count() == 5


@pytest.mark.parametrize("batch_size", [1, 2, 100])
def test_the_progress_bar_counts_every_record_read_refused_ones_included(main_account, batch_size):
    # Five records, the third not a call: the bar reaches five, as the summary's "read 5".
    records = [dict(r, call_uuid=str(uuid4())) for r in (PLIVO * 3)[:5]]
    records[2] = {"call_uuid": "not-a-uuid"}
    done: list[int] = []
    summary = call_import(records=enumerate(records, 1), account=main_account,
                          batch_size=batch_size, progress=done.append)  # fmt: skip
    assert (summary.read, summary.stored, summary.rejected) == (5, 4, 1)
    assert sum(done) == 5 and all(step > 0 for step in done)


def test_a_csv_records_line_is_counted_after_the_header(tmp_path, main_account):
    # The header is line 1: the first record is line 2, the second line 3.
    bad = {**PLIVO[0], "call_direction": "sideways"}
    path = _csv(tmp_path, [bad, {**bad, "call_uuid": str(uuid4())}])
    _, err = _import(path, main_account)
    assert "line 2: rejected: call_direction must be one of" in err
    assert "line 3: rejected: call_direction must be one of" in err
