"""Voice calls on /Call/, SIP-trunking calls on /Zentrunk/Call/, each with Plivo's own
catalogue, hangup sources, timestamps and fields; the CarrierX face shows both."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from accounts.services import account_create
from calls.plivo.serialize import utc_timestamp
from tests.api.conftest import NOW, uuids
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paris(frozen):
    issued = account_create(name="Paris", timezone_name="Europe/Paris")
    issued.account.raw_auth_token = issued.auth_token
    return issued.account


@pytest.fixture
def both(frozen, main_account):
    """Three calls of each product, code 3000 on one of each."""
    voice = [CallFactory(account=main_account, product="voice",
                         end_time=NOW - timedelta(hours=i + 1)) for i in range(3)]  # fmt: skip
    trunk = [CallFactory(account=main_account, end_time=NOW - timedelta(hours=i, minutes=30))
             for i in range(3)]  # fmt: skip
    for call in (voice[0], trunk[0]):
        call.hangup_cause_code = 3000
        call.save()
    return voice, trunk


def _ids(calls) -> list[str]:
    return [str(c.call_uuid) for c in sorted(calls, key=lambda c: c.end_time, reverse=True)]


def test_each_path_lists_and_counts_only_its_product(plivo, main_account, both):
    voice, trunk = both
    on_voice = plivo(main_account, zentrunk=False)
    on_trunk = plivo(main_account)
    assert uuids(on_voice) == _ids(voice) and on_voice.json()["meta"]["total_count"] == 3
    assert uuids(on_trunk) == _ids(trunk) and on_trunk.json()["meta"]["total_count"] == 3


def test_the_same_code_reads_as_each_product_names_it(plivo, main_account, both):
    voice, trunk = both
    v = plivo(main_account, uuid=voice[0].call_uuid, zentrunk=False).json()
    z = plivo(main_account, uuid=trunk[0].call_uuid).json()
    # Straight from Plivo's two tables: 3000 is "No Answer" on Voice, "normal_hangup" on
    # SIP trunking.
    assert (v["hangup_cause_code"], v["hangup_cause_name"]) == (3000, "No Answer")
    assert (z["hangup_cause_code"], z["hangup_cause_name"]) == (3000, "normal_hangup")


def test_a_call_of_the_other_product_is_a_404_like_an_unknown_one(plivo, main_account, both):
    voice, trunk = both
    unknown = plivo(main_account, uuid="00000000-0000-4000-8000-000000000000", zentrunk=False)
    crossed = [
        plivo(main_account, uuid=voice[0].call_uuid),
        plivo(main_account, uuid=trunk[0].call_uuid, zentrunk=False),
        Client().get(
            f"/v1/Account/{main_account.auth_id}/Zentrunk/Call/{voice[0].call_uuid}/Insights/",
            **_auth(main_account),
        ),
    ]
    for response in crossed:
        assert response.status_code == 404
        assert response.json()["error"] == unknown.json()["error"]


def test_codes_outside_a_products_table_read_as_its_unknown(plivo, main_account, frozen):
    odd_voice = CallFactory(account=main_account, product="voice", hangup_cause_code=4040)
    odd_trunk = CallFactory(account=main_account, hangup_cause_code=9100)
    assert (
        plivo(main_account, uuid=odd_voice.call_uuid, zentrunk=False).json()["hangup_cause_name"]
        == "Unknown"
    )
    assert plivo(main_account, uuid=odd_trunk.call_uuid).json()["hangup_cause_name"] == "unknown"


def test_voice_times_are_in_the_account_zone_and_trunk_times_in_utc(plivo, paris):
    end = NOW.replace(hour=9)
    voice = CallFactory(account=paris, product="voice", end_time=end, bill_duration=60)
    trunk = CallFactory(account=paris, end_time=end, bill_duration=60)
    v = plivo(paris, uuid=voice.call_uuid, zentrunk=False).json()
    z = plivo(paris, uuid=trunk.call_uuid).json()
    assert v["end_time"] == "2026-11-20 10:00:00+01:00"
    assert v["answer_time"] == "2026-11-20 09:59:00+01:00"
    assert z["end_time"] == "2026-11-20 09:00:00"
    assert z["answer_time"] == "2026-11-20 08:59:00"


def test_the_trunk_object_carries_the_zentrunk_fields(plivo, main_account, frozen):
    call = CallFactory(
        account=main_account, trunk_domain="acme.zt.example", from_country="US",
        to_country="GB", transport_protocol="tls", srtp=True, secure_trunking=True,
        secure_trunking_rate=Decimal("0.00025"), stir_attest="A",
    )  # fmt: skip
    voice = CallFactory(account=main_account, product="voice")
    z = plivo(main_account, uuid=call.call_uuid).json()
    assert {k: z[k] for k in TRUNK_FIELDS} == {
        "trunk_domain": "acme.zt.example", "from_country": "US", "to_country": "GB",
        "transport_protocol": "tls", "srtp": True, "secure_trunking": True,
        "secure_trunking_rate": "0.00025", "attestation_indicator": "A",
    }  # fmt: skip
    fields = [k for k in z if k != "api_id"]
    assert fields == sorted(fields)  # alphabetical, as the vendor's objects are
    v = plivo(main_account, uuid=voice.call_uuid, zentrunk=False).json()
    assert not set(TRUNK_FIELDS) & set(v)


TRUNK_FIELDS = ("trunk_domain", "from_country", "to_country", "transport_protocol", "srtp",
                "secure_trunking", "secure_trunking_rate", "attestation_indicator")  # fmt: skip


@pytest.mark.parametrize(
    ("zentrunk", "value", "status"),
    [
        (False, "Callee", 200), (False, "Call recipient", 200), (False, "API Request", 200),
        (False, "customer", 400), (True, "customer", 200), (True, "zentrunk", 200),
        (True, "Callee", 400), (True, "Caller", 400),
    ],
)  # fmt: skip
def test_hangup_source_takes_each_products_own_words(plivo, main_account, zentrunk, value,
                                                     status, frozen):  # fmt: skip
    callee = CallFactory(account=main_account, product="voice", hangup_source="Callee")
    CallFactory(account=main_account, product="voice", hangup_source="Caller")
    response = plivo(main_account, hangup_source=value, zentrunk=zentrunk)
    assert response.status_code == status, response.content
    if status == 400:
        assert "hangup_source" in response.json()["error"]
    elif value in {"Callee", "Call recipient"}:
        assert uuids(response) == [str(callee.call_uuid)]


def test_insights_show_the_parties_and_the_quality_reported(main_account, frozen):
    measured = CallFactory(account=main_account, from_number="+14155550100",
                           to_number="+33144556677", rtt=38.5, jitter=2.25, packet_loss=0.4,
                           post_dial_delay=1.8, quality_score=4.3,
                           hangup_cause_code=3010)  # fmt: skip
    silent = CallFactory(account=main_account, from_number="sip-alice", to_number="bob")
    url = f"/v1/Account/{main_account.auth_id}/Zentrunk/Call/%s/Insights/"
    body = Client().get(url % measured.call_uuid, **_auth(main_account)).json()
    assert body["from"]["country"] == "US" and body["to"]["country"] == "FR"
    assert body["to"]["region"] == "Paris" and body["from"]["number"] == "+14155550100"
    assert (body["hangup_cause"], body["hangup_source"]) == ("normal_hangup", "customer")
    assert (body["rtt"], body["jitter"], body["packet_loss"]) == (38.5, 2.25, 0.4)
    assert (body["post_dial_delay"], body["plivo_quality_score"]) == (1.8, 4.3)
    quiet = Client().get(url % silent.call_uuid, **_auth(main_account)).json()
    assert quiet["rtt"] is quiet["jitter"] is quiet["plivo_quality_score"] is None
    assert quiet["from"] == {"carrier": None, "country": None, "number": "sip-alice",
                             "region": None}  # fmt: skip


def test_the_carrierx_face_lists_both_products(main_account, bearer, both):
    voice, trunk = both
    _, secret = bearer(main_account)
    body = (
        Client()
        .get("/core/v2/calls/call_drs", {"total": "true"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
        .json()
    )
    assert body["total"] == 6
    assert {i["dr_sid"] for i in body["items"]} == set(_ids(voice) + _ids(trunk))


def _auth(account) -> dict:
    from tests.api.conftest import basic

    return basic(account)


@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 3, 29, 1, 30, 5, 999_999, tzinfo=UTC),
     datetime(2026, 3, 29, 3, 30, 5, tzinfo=ZoneInfo("Europe/Paris")),
     datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)],
)  # fmt: skip
def test_zentrunk_times_read_as_strftime_writes_them(moment):
    """UTC, to the second, no offset; a year before 1000 unpadded, as strftime writes it."""
    expected = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert utc_timestamp(moment) == expected
