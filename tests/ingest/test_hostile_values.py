"""Values a careless or hostile client can put in a body that JSON itself allows, found by
probing a live server (issue 16 review): each is a 4xx with a reason, never a 500."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.test import Client

from calls.ingest import fs_sample
from calls.models import Call
from tests.commands import call_storing
from tests.factories import BearerTokenFactory

pytestmark = pytest.mark.django_db
HUGE_INT = "1" * 5000  # Python's json refuses integers over 4,300 digits: a plain ValueError


@pytest.fixture
def writer(main_account):
    token = BearerTokenFactory(account=main_account, scopes=["calls.write"])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.raw_secret}")


def refused(response, *statuses: int) -> dict:
    assert response.status_code in (statuses or (400, 422)), response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("endpoint", ["/ingest/v1/calls", "/ingest/v1/kamailio"])
@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_an_integer_too_long_for_python_is_a_400(writer, endpoint, content_type):
    body = '{"call_duration": ' + HUGE_INT + "}"
    response = writer.post(endpoint, body, content_type=content_type)
    answer = refused(response)  # 400 the body, or 422 a batch with that line refused
    assert "digits" in json.dumps(answer)


def _kamailio(**over: str) -> dict:
    end = time.time() - 60
    return {
        "start_time": f"{end - 12.5:.3f}", "end_time": f"{end:.3f}", "duration": "12.500",
        "call_id": f"{time.monotonic_ns()}@10.0.0.1", "from_user": "+14155550100",
        "to_user": "442071234567", "sip_code": "200", "answered": "true",
        "answer_ts": f"{end - 10.2:.6f}",
    } | over  # fmt: skip


def _batch_record(**over) -> dict:
    end = datetime.now(UTC) - timedelta(minutes=5)
    return {
        "call_uuid": str(uuid.uuid4()), "from_number": "14155550100",
        "to_number": "442071234567", "call_direction": "outbound",
        "initiation_time": (end - timedelta(seconds=70)).isoformat(),
        "answer_time": (end - timedelta(seconds=60)).isoformat(), "end_time": end.isoformat(),
        "call_duration": 70, "bill_duration": 60, "hangup_cause_code": 4000,
    } | over  # fmt: skip


def _with_surrogate(document: dict, value: str) -> bytes:
    """The JSON text of `document` with every `value` replaced by a lone surrogate escape."""
    text = json.dumps(document)
    assert f'"{value}"' in text
    return text.replace(f'"{value}"', '"\\ud800"').encode()


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("/ingest/v1/calls", lambda: _with_surrogate(doc := _batch_record(), doc["call_uuid"])),
        ("/ingest/v1/calls", lambda: _with_surrogate(_batch_record(), "14155550100")),
        ("/ingest/v1/kamailio", lambda: _with_surrogate(doc := _kamailio(), doc["call_id"])),
        ("/ingest/v1/kamailio", lambda: _with_surrogate(_kamailio(), "+14155550100")),
        ("/ingest/v1/freeswitch", lambda: _with_surrogate(json.loads(fs_sample.cdr()),
                                                          "+14155550100")),
    ],
    ids=["calls-uuid", "calls-number", "kamailio-call-id", "kamailio-number", "freeswitch"],
)  # fmt: skip
def test_a_lone_surrogate_is_refused_with_its_reason(writer, endpoint, body):
    response = writer.post(endpoint, body(), content_type="application/json")
    answer = refused(response, 422)
    assert "surrogate" in json.dumps(answer)
    assert Call.objects.count() == 0


@pytest.mark.parametrize("digits", ["\u00b2" * 16, "\u0661" * 16], ids=["superscript", "arabic"])
def test_freeswitch_times_are_ascii_digits(writer, digits):
    """str.isdigit() is true of "²" (which int() refuses: it was a 500) and of Arabic-Indic
    digits (which int() reads: a time no switch wrote)."""
    document = json.loads(fs_sample.cdr())
    document["variables"]["start_uepoch"] = digits
    response = writer.post("/ingest/v1/freeswitch", json.dumps(document), "application/json")
    assert "start_uepoch is not microseconds" in refused(response, 422)["error"]


def test_a_record_naming_two_different_accounts_is_refused(
    writer, main_account, subaccount, other_account
):
    """`account` and `partner_sid` both given must name one account: a record naming the
    credential's own auth id and another tenant's partner_sid was stored (under the
    former) as if it were consistent."""
    for partner in (other_account, subaccount):
        record = _batch_record(account=main_account.auth_id, partner_sid=str(partner.partner_sid))
        response = writer.post("/ingest/v1/calls", json.dumps(record), "application/json")
        (entry,) = refused(response, 422)["records"]
        assert entry["status"] == "rejected", entry
    assert entry["reason"] == "account and partner_sid name two different accounts"
    agreeing = _batch_record(account=subaccount.auth_id, partner_sid=str(subaccount.partner_sid))
    response = writer.post("/ingest/v1/calls", json.dumps(agreeing), "application/json")
    assert response.status_code == 200, response.content
    assert list(Call.objects.values_list("account_id", flat=True)) == [subaccount.pk]


@pytest.mark.parametrize(
    "path", ["/ingest/v1/calls/", "/ingest/v1/freeswitch/", "/ingest/v2/calls", "/INGEST/x"]
)
def test_a_wrong_ingestion_path_is_a_json_404_naming_the_right_ones(writer, path):
    """A trailing slash (every Plivo path has one) got Django's HTML 404 page."""
    response = writer.post(path, "{}", content_type="application/json")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert "/ingest/v1/calls" in response.json()["error"]


@pytest.mark.parametrize("figure", ["1e308", "1" + "0" * 400, "-5", "true"])
def test_freeswitch_call_stats_out_of_range_are_left_out_not_fatal(writer, figure):
    """A call is stored whatever its callStats hold: huge figures made the jitter or the
    packet loss NaN (the call refused) or an integer too large for a float (a 500)."""
    document = fs_sample.cdr()
    stats = {"audio": {"inbound": {
        name: "FIGURE" for name in ("media_packet_count", "flaw_total", "mos",
                                    "jitter_min_variance", "jitter_max_variance")}}}  # fmt: skip
    body = json.dumps(json.loads(document) | {"callStats": stats}).replace('"FIGURE"', figure)
    response = writer.post("/ingest/v1/freeswitch", body, "application/json")
    assert response.status_code == 201, response.content
    call = Call.objects.get()
    assert (call.quality_score, call.jitter, call.packet_loss) == (None, None, None)


@pytest.mark.parametrize("fmt", ["kamailio", "jsonl"])
def test_import_calls_reports_lines_json_cannot_read(main_account, tmp_path, fmt):
    """A line with a 5,000-digit integer stopped import_calls with AttributeError (the
    ValueError has no msg), and one nesting 5,000 deep with RecursionError."""
    good = _kamailio() if fmt == "kamailio" else _batch_record()
    lines = ['{"a": ' + HUGE_INT + "}", "[" * 100_000 + "]" * 100_000, json.dumps(good)]
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines) + "\n")
    err = StringIO()
    status = call_storing(
        "import_calls", str(path), "--format", fmt, "--account", main_account.auth_id,
        "-v", "0", stdout=StringIO(), stderr=err,
    )  # fmt: skip
    assert status == 3  # two lines refused
    assert "line 1: rejected: not valid JSON (Exceeds the limit" in err.getvalue()
    assert "line 2: rejected: nests too deep" in err.getvalue()
    assert Call.objects.count() == 1


SEPARATORS = "\u2028\u2029\u0085"  # str.splitlines ends a line at each; JSON strings hold them


def _carrierx(**over) -> dict:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    return {
        "dr_sid": str(uuid.uuid4()), "direction": "inbound", "number_src": "+442071234567",
        "number_dst": "+14155550100", "date_start": (end - timedelta(seconds=30)).isoformat(),
        "date_talk": (end - timedelta(seconds=20)).isoformat(), "date_stop": end.isoformat(),
        "sipcause": "200", "disconnect_originator": "DST",
    } | over  # fmt: skip


def test_json_lines_are_split_on_newlines_alone(writer):
    """A record whose string holds U+2028 was cut into bad lines (one outcome per piece)."""
    note = f"before{SEPARATORS}after"
    records = [_carrierx(), _carrierx(user_data={"note": note}), _carrierx()]
    body = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    assert "\u2028" in body
    response = writer.post("/ingest/v1/calls", body.encode(), "application/x-ndjson")
    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()["records"]] == ["stored"] * 3
    assert Call.objects.get(call_uuid=records[1]["dr_sid"]).user_data == {"note": note}


def test_import_calls_reads_a_line_to_its_newline(main_account, tmp_path):
    """The file is opened with newline="" (as csv needs), which also ends a line at a lone
    "\\r": JSON whitespace between a record's tokens cut it in two bad lines."""
    note = f"before{SEPARATORS}after"
    records = [_carrierx(user_data={"note": note}), _carrierx()]
    lines = [json.dumps(r, ensure_ascii=False).replace(", ", ",\r", 1) for r in records]
    path = tmp_path / "calls.jsonl"
    path.write_bytes("\r\n".join(lines).encode())
    out = StringIO()
    status = call_storing("import_calls", str(path), "--account", main_account.auth_id,
                          "-v", "0", stdout=out, stderr=StringIO())  # fmt: skip
    assert status == 0 and out.getvalue().startswith("read 2, stored 2, duplicates 0, rejected 0")
    assert Call.objects.get(call_uuid=records[0]["dr_sid"]).user_data == {"note": note}


@pytest.mark.parametrize(
    ("endpoint", "query", "message"),
    [
        ("/ingest/v1/calls", "?product=voice&product=zentrunk",
         "The parameter 'product' was given more than once."),
        ("/ingest/v1/kamailio", "?product=zentrunk&product=zentrunk",
         "The parameter 'product' was given more than once."),
        ("/ingest/v1/freeswitch", "?uuid={uuid}&uuid={uuid}",
         "The parameter 'uuid' was given more than once."),
        ("/ingest/v1/calls", "?prodcut=voice",
         "Unknown parameter 'prodcut'; accepted parameters are: product."),
    ],
)  # fmt: skip
def test_a_repeated_or_unknown_query_parameter_is_a_400(writer, endpoint, query, message):
    """`?product=voice&product=zentrunk` was stored as zentrunk: the last one won, silently.
    The read faces' rule and words (calls/query/params.py), in the ingest error shape."""
    cdr = fs_sample.cdr()
    body = {
        "/ingest/v1/calls": json.dumps([_batch_record()]),
        "/ingest/v1/kamailio": json.dumps(_kamailio()),
        "/ingest/v1/freeswitch": cdr,
    }[endpoint]
    query = query.format(uuid=json.loads(cdr)["variables"]["uuid"])
    answer = refused(writer.post(endpoint + query, body, "application/json"), 400)
    assert answer == {"api_id": answer["api_id"], "error": message}
    assert Call.objects.count() == 0
