"""The vendor corpus (issue 21): every call object Plivo's Voice and SIP-trunking docs print,
CarrierX's CDR example, and the FreeSWITCH and Kamailio samples of the ingest tests, stored
through each way in and read back field by field on both faces.

The published records come from ../shared/spec/ (plivo-call-objects.md,
carrierx-call-drs.txt) as printed, their dates moved into the retention window. What a
face shows differently from the printed record is listed, with the reason, in DIFFERENT.
"""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from calls.ingest import fs_sample
from tests.factories import BearerTokenFactory
from tests.recent import into_window

pytestmark = pytest.mark.django_db

VOICE_OBJECT = {
    "answer_time": "2022-06-28 19:39:05+05:30", "bill_duration": 11, "billed_duration": 60,
    "call_direction": "inbound", "call_duration": 11,
    "call_uuid": "57a1b60a-5c0b-11e7-9082-ef888d0400e9",
    "end_time": "2022-06-28 19:39:15+05:30", "from_number": "12025551111",
    "initiation_time": "2022-06-28 19:39:04+05:30", "parent_call_uuid": None,
    "resource_uri": "/v1/Account/MA2025RK4E639VJFZAGV/Call/57a1b60a-5c0b-11e7-9082-ef888d0400e9/",
    "to_number": "19172592277", "total_amount": "0.00850", "total_rate": "0.00850",
    "hangup_cause_name": "End Of XML Instructions", "hangup_cause_code": 4010,
    "hangup_source": "Plivo", "source_ip": "92.168.0.1",
}  # fmt: skip
TRUNK_OBJECT = {
    "call_uuid": "90b6eb07-796c-4d86-a4fd-44ed11667ddb", "from_number": "+912235328936",
    "to_number": "+919943720205", "call_direction": "outbound", "call_duration": 4,
    "bill_duration": 4, "end_time": "2022-12-06 07:02:00", "hangup_cause_name": "normal_hangup",
    "hangup_source": "carrier", "total_rate": "0.03000", "total_amount": "0.00200",
    "initiation_time": "2022-12-06 07:01:48", "answer_time": "2022-12-06 07:01:56",
    "trunk_domain": "93667062664669661.ap-south-1.zt.plivo.com", "from_country": "IN",
    "to_country": "IN", "transport_protocol": "udp", "srtp": False, "hangup_cause_code": 3000,
    "secure_trunking": False, "secure_trunking_rate": "0.00000",
    "stir_verification": "not applicable", "attestation_indicator": "null",
}  # fmt: skip
CARRIERX_CDR = {
    "cic": None, "cic_original": None, "cic_transformed": None, "codec_dst": "g722",
    "codec_src": "amrwb", "date_insert": "2025-05-18T15:35:03.000Z",
    "date_start": "2025-05-18T15:32:15.589Z", "date_stop": "2025-05-18T15:32:19.839Z",
    "date_talk": "2025-05-18T15:32:16.535Z", "direction": "inbound",
    "disconnect_originator": "DST", "diversion_dst": "+15162065451",
    "diversion_src": "+15162065451", "dr_sid": "c02a73b2-8401-459a-af7e-f4cc3eee7854",
    "duration": "4.25015", "duration_billing": "60",
    "endpoint_sid_dst": "1ce5a6da-7d72-448a-ab81-897fe24b8f02",
    "endpoint_sid_src": "7fc3e7ea-a0df-4de1-836f-50318ed66466", "identity": None,
    "ip_dst": "10.222.2.197:5060", "ip_src": "162.251.180.18", "number_billing": "15162065451",
    "number_dst": "15162065451", "number_dst_original": None, "number_dst_transformed": None,
    "number_external": "15012678830", "number_src": "+15012678830", "number_src_original": None,
    "number_src_transformed": None, "partner_sid": "ed437757-002d-4ecc-aa5a-efdf5e50dba0",
    "price": "0.0025", "price_lcr_dst": "0.0025", "price_lcr_src": None, "rate": "0.0025",
    "rate_lcr_dst": "0.005", "rate_lcr_src": None,
    "sipcallid_dst": "11b5b29c3486cac52a7d5baa52c937c9@12.7.193.174",
    "sipcallid_src": "428ac5df4582bea66501f7d45199a18d@162.251.180.24", "sipcause": "200",
    "stir_attest": "A", "stir_identity": "false", "stir_orig_id": "+15012678830",
    "stir_signing_entity": "carrierX", "stir_verstat": None, "transcoded": True,
    "trunk_group_sid_dst": "cf7db13f-5c63-4c62-a447-fe3008cd72ef", "trunk_group_sid_src": None,
    "trunk_sid_dst": "7098d9f8-c8f2-400f-a31a-61ef7755985c", "trunk_sid_src": None,
    "type": "telecom",
    "user_data": {"identity": "eyJ0eXAiOiJwYXNzcG9ydCIsImFsZyI6I...alg=ES256;ppt=shaken"},
    "version": 2,
}  # fmt: skip
# Where a face shows a printed value in its documented form (docs/ingest.md, "What a
# record may say"): the SIP-trunking example prints the enumeration in lower case and an
# absent attestation as the string "null"; the resource_uri names the account it is read
# through; Voice times are shown in the account's zone (the example's is +05:30).
DIFFERENT = {"stir_verification": "Not Applicable", "attestation_indicator": None}

VOICE = into_window(VOICE_OBJECT, date(2022, 6, 28))
TRUNK = into_window(TRUNK_OBJECT, date(2022, 12, 6))
CDR = into_window(CARRIERX_CDR, date(2025, 5, 18))


@pytest.fixture
def account(main_account):
    main_account.timezone = "Asia/Kolkata"
    main_account.partner_sid = CARRIERX_CDR["partner_sid"]
    main_account.save()
    return main_account


@pytest.fixture
def plivo(account):
    """GET on the Plivo face, as the account (HTTP Basic)."""
    secret = base64.b64encode(f"{account.auth_id}:{account.raw_auth_token}".encode()).decode()
    client = Client(HTTP_AUTHORIZATION=f"Basic {secret}")

    def get(path: str) -> dict:
        response = client.get(f"/v1/Account/{account.auth_id}/{path}")
        assert response.status_code == 200, response.content
        return response.json()

    return get


@pytest.fixture
def carrierx(account):
    token = BearerTokenFactory(account=account, scopes=["calls.read"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token.raw_secret}")

    def get(sid: str) -> dict:
        response = client.get(f"/core/v2/calls/call_drs/{sid}")
        assert response.status_code == 200, response.content
        return response.json()

    return get


@pytest.fixture
def writer(account):
    token = BearerTokenFactory(account=account, scopes=["calls.write"])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.raw_secret}")


def _by_import(tmp_path, account, record: dict, product: str) -> None:
    path = tmp_path / "published.jsonl"
    path.write_text(json.dumps(record) + "\n")
    out = io.StringIO()
    call_command(
        "import_calls", str(path), "--account", account.auth_id, "--product", product,
        "-v", "0", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert "stored 1" in out.getvalue(), out.getvalue()


def _by_batch(writer, record: dict, product: str) -> None:
    response = writer.post(
        f"/ingest/v1/calls?product={product}", json.dumps(record), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 1


WAYS_IN = ["import_calls", "/ingest/v1/calls"]


def _store(way: str, tmp_path, account, writer, record: dict, product: str) -> None:
    if way == "import_calls":
        _by_import(tmp_path, account, record, product)
    else:
        _by_batch(writer, record, product)


@pytest.mark.parametrize("way", WAYS_IN)
def test_plivos_voice_object_reads_back_as_printed(way, tmp_path, account, writer, plivo):
    _store(way, tmp_path, account, writer, VOICE, "voice")
    shown = plivo(f"Call/{VOICE['call_uuid']}/")
    expected = {**VOICE, "resource_uri": f"/v1/Account/{account.auth_id}/Call/"
                f"{VOICE['call_uuid']}/"}  # fmt: skip
    assert {name: shown[name] for name in expected} == expected


@pytest.mark.parametrize("way", WAYS_IN)
def test_plivos_sip_trunking_object_reads_back_as_printed(way, tmp_path, account, writer, plivo):
    _store(way, tmp_path, account, writer, TRUNK, "zentrunk")
    shown = plivo(f"Zentrunk/Call/{TRUNK['call_uuid']}/")
    expected = {**TRUNK, **DIFFERENT}
    assert {name: shown[name] for name in expected} == expected


@pytest.mark.parametrize("way", WAYS_IN)
def test_carrierxs_cdr_example_reads_back_as_printed(way, tmp_path, account, writer, carrierx):
    _store(way, tmp_path, account, writer, CDR, "zentrunk")
    assert carrierx(CDR["dr_sid"]) == CDR


def test_each_published_call_reads_on_the_other_face_too(tmp_path, account, plivo, carrierx):
    for record, product in ((VOICE, "voice"), (TRUNK, "zentrunk"), (CDR, "zentrunk")):
        _by_import(tmp_path, account, record, product)
    voice = carrierx(VOICE["call_uuid"])
    assert (voice["number_src"], voice["number_dst"], voice["direction"]) == (
        "12025551111", "19172592277", "inbound")  # fmt: skip
    assert (voice["date_start"], voice["date_talk"], voice["date_stop"]) == tuple(
        _utc_z(VOICE[name]) for name in ("initiation_time", "answer_time", "end_time")
    )
    assert (voice["duration_billing"], voice["price"], voice["rate"]) == ("60", "0.0085", "0.0085")
    assert voice["ip_src"] == "92.168.0.1"
    trunk = carrierx(TRUNK["call_uuid"])
    assert (trunk["number_src"], trunk["number_dst"], trunk["price"]) == (
        "+912235328936", "+919943720205", "0.002")  # fmt: skip
    assert trunk["date_stop"] == _utc_z(TRUNK["end_time"])
    cdr = plivo(f"Zentrunk/Call/{CDR['dr_sid']}/")
    assert (cdr["from_number"], cdr["to_number"], cdr["call_direction"]) == (
        "+15012678830", "15162065451", "inbound")  # fmt: skip
    assert cdr["end_time"] == CDR["date_stop"][:19].replace("T", " ")
    assert cdr["answer_time"] == CDR["date_talk"][:19].replace("T", " ")
    assert (cdr["bill_duration"], cdr["billed_duration"]) == (3, 60)  # talked 3.304 s
    assert (cdr["total_amount"], cdr["total_rate"]) == ("0.00250", "0.00250")
    assert (cdr["stir_verification"], cdr["attestation_indicator"]) == ("Verified", "A")


def _utc_z(text: str) -> str:
    moment = datetime.fromisoformat(text)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_the_freeswitch_sample_reads_back_on_both_faces(writer, plivo, carrierx):
    legs = {}
    a_leg = fs_sample.cdr(leg="a")
    a_uuid = json.loads(a_leg)["variables"]["uuid"]
    for name, text in (("a", a_leg), ("b", fs_sample.cdr(leg="b", a_leg_uuid=a_uuid)),
                       ("busy", fs_sample.cdr(outcome="busy"))):  # fmt: skip
        response = writer.post("/ingest/v1/freeswitch", text, content_type="application/json")
        assert response.status_code == 201, response.content
        legs[name] = (json.loads(text)["variables"], response.json()["call_uuid"])
    variables, uid = legs["a"]
    shown = plivo(f"Call/{uid}/")
    assert shown["call_uuid"] == variables["uuid"] == uid
    assert (shown["from_number"], shown["to_number"]) == ("+14155550100", "442071234567")
    assert shown["bill_duration"] == int(variables["billsec"])
    assert shown["call_duration"] == int(variables["duration"])
    assert plivo(f"Call/{legs['b'][1]}/")["parent_call_uuid"] == uid
    busy = plivo(f"Call/{legs['busy'][1]}/")
    assert (busy["answer_time"], busy["bill_duration"]) == (None, 0)
    assert carrierx(uid)["number_src"] == "+14155550100"


def _kamailio(**over: str) -> dict:
    """The reference cfg's acc_json CDR (tests/ingest/test_kamailio_records.py), now."""
    end = time.time() - 60
    return {
        "start_time": f"{end - 2.007:.3f}", "end_time": f"{end:.3f}", "duration": "2.007",
        "call_id": f"{time.monotonic_ns()}-20854@127.0.0.1", "from_user": "+14155550100",
        "to_user": "442071234567", "sip_code": "200", "sip_reason": "OK", "answered": "true",
        "setup_ts": f"{end - 2.007:.6f}", "answer_ts": f"{end - 2.004:.6f}",
        "from_tag": "20854SIPpTag001", "ended_by": "caller",
    } | over  # fmt: skip


def test_the_kamailio_samples_read_back_on_both_faces(writer, plivo, carrierx):
    answered = _kamailio()
    busy = _kamailio(sip_code="486", sip_reason="Busy Here", answered="false", answer_ts="",
                     duration="0", to_user="busy2002")  # fmt: skip
    busy["start_time"] = busy["end_time"]
    uuids = []
    for doc in (answered, busy):
        response = writer.post(
            "/ingest/v1/kamailio", json.dumps(doc), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        uuids.append(response.json()["call_uuid"])
    shown = plivo(f"Zentrunk/Call/{uuids[0]}/")
    assert (shown["from_number"], shown["to_number"]) == ("+14155550100", "442071234567")
    assert shown["answer_time"] is not None and shown["hangup_source"] == "customer"
    refused = plivo(f"Zentrunk/Call/{uuids[1]}/")
    assert (refused["answer_time"], refused["bill_duration"], refused["to_number"]) == (
        None, 0, "busy2002")  # fmt: skip
    assert carrierx(uuids[1])["sipcause"] in ("486", None, "")
