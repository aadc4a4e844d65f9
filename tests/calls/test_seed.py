"""seed_calls: counts, the shape of the data per product, determinism, resumability."""

import base64
import json
import shlex
from collections import Counter
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Account
from calls.bulk.demo_calls import CARRIERX_DR_SID, PARENT_CALL_UUID
from calls.bulk.seed import call_seed, seed_accounts
from calls.bulk.synthetic import COLUMNS, CallGenerator
from calls.models import Call
from calls.vocabulary import hangup
from calls.vocabulary.choices import PRODUCTS
from calls.vocabulary.hangup import HANGUP_SOURCES_BY_PRODUCT
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def seeded(main_account):
    call_seed(account_ids=[main_account.pk], count=4000, days=30, seed=7, now=NOW)
    return Call.objects.filter(account=main_account)


@pytest.fixture(params=PRODUCTS)
def seeded_each(request, main_account):
    """4,000 stored calls of one account, once per product."""
    call_seed(
        account_ids=[main_account.pk], count=4000, days=30, seed=7, now=NOW, product=request.param
    )
    return Call.objects.filter(account=main_account)


@pytest.fixture(scope="module", params=PRODUCTS)
def made(request):
    """The rows the seeder makes for one account of each product (as dicts; no database:
    the stored shape is checked by test_the_data_has_a_realistic_shape)."""
    generator = CallGenerator(account_ids=[1], days=30, seed=7, now=NOW, product=request.param)
    return [dict(zip(COLUMNS, row, strict=True)) for row in generator.rows(4000)]


def _country(number: str) -> str | None:
    """libphonenumber's country for a recorded number, straight from the library."""
    parsed = phonenumbers.parse("+" + number.removeprefix("+"), None)
    return phonenumbers.region_code_for_number(parsed)


def test_it_stores_exactly_the_count_asked_for(seeded):
    assert seeded.count() == 4000


def test_the_data_has_a_realistic_shape(seeded_each):
    seeded = seeded_each
    n = seeded.count()
    directions = Counter(seeded.values_list("call_direction", flat=True))
    assert 0.55 < directions["outbound"] / n < 0.68  # ~60/40, child legs are outbound
    unanswered = seeded.filter(answer_time__isnull=True)
    assert 0.25 < unanswered.count() / n < 0.35
    assert not unanswered.exclude(bill_duration=0).exists()
    answered = seeded.filter(answer_time__isnull=False)
    for call in answered[:300]:
        assert call.billed_duration % 60 == 0 and call.billed_duration >= call.bill_duration
        assert call.total_amount == (call.billed_duration // 60) * call.total_rate
        assert call.initiation_time <= call.answer_time <= call.end_time
    durations = sorted(answered.values_list("bill_duration", flat=True))
    median, p99 = durations[len(durations) // 2], durations[int(len(durations) * 0.99)]
    assert 30 < median < 150 and p99 > 8 * median  # heavy tail
    assert seeded.filter(parent_call_uuid__isnull=False).count() > 0.02 * n
    stir = Counter(seeded.values_list("stir_verification", flat=True))
    assert set(stir) == {"Verified", "Not Verified", "Not Applicable"}
    ends = seeded.values_list("end_time", flat=True)
    assert min(ends) >= NOW - timedelta(days=30) and max(ends) <= NOW
    # a few busy numbers and many rare ones
    own = Counter(
        seeded.filter(call_direction="outbound", parent_call_uuid=None).values_list(
            "from_number_norm", flat=True
        )
    )
    assert own.most_common(1)[0][1] > 0.2 * sum(own.values())
    others = Counter(
        seeded.filter(call_direction="outbound").values_list("to_number_norm", flat=True)
    )
    assert sum(1 for c in others.values() if c == 1) > 0.5 * len(others)
    assert {n[:2] for n in others} >= {"1" + d for d in "23456789"} | {"44", "49", "33", "91"}
    # The product's columns are stored where they belong (the tests below check the rows
    # the seeder makes in detail).
    product = seeded.first().product
    names = {c.code: c.name for c in hangup.causes(product)}
    causes = Counter(seeded.values_list("hangup_cause_code", flat=True))
    assert set(causes) <= set(names)
    assert names[causes.most_common(1)[0][0]] in ("Normal Hangup", "normal_hangup")
    assert set(seeded.values_list("hangup_source", flat=True)) <= set(
        HANGUP_SOURCES_BY_PRODUCT[product]
    )
    call = seeded.filter(rtt__isnull=False, stir_attest__isnull=False).first()
    assert call.from_country == _country(call.from_number)
    assert call.to_country == _country(call.to_number)
    assert (call.trunk_domain is None) is (product == "voice")
    assert 1 <= call.quality_score <= 5


def test_hangup_causes_and_sources_come_from_the_calls_product(made):
    product = made[0]["product"]
    assert {r["product"] for r in made} == {product}
    table = {c.code: c for c in hangup.causes(product)}
    causes = Counter(r["hangup_cause_code"] for r in made)
    assert set(causes) <= set(table)  # only the product's own codes
    assert len(causes) > 15  # drawn across the catalogue, not a handful
    # Answered calls end with the causes that end answered calls (normal hangups,
    # mid-call failures), unanswered ones with no answer, busy, canceled, rejected…
    for r in made:
        assert table[r["hangup_cause_code"]].answered is (r["answer_time"] is not None)
        assert (r["bill_duration"] == 0) is (r["answer_time"] is None)
    top = causes.most_common(1)[0][0]
    assert table[top].name in ("Normal Hangup", "normal_hangup")
    sources = Counter(r["hangup_source"] for r in made)
    assert set(sources) <= set(HANGUP_SOURCES_BY_PRODUCT[product])
    by_cause: dict[tuple, set] = {}
    for r in made:
        key = (r["hangup_cause_code"], r["call_direction"])
        by_cause.setdefault(key, set()).add(r["hangup_source"])
    if product == "zentrunk":
        assert set(sources) == {"customer", "carrier", "zentrunk"}
        # Plivo's own table: 3010 normal_hangup by the customer, 3000 by the carrier.
        assert by_cause[3010, "outbound"] | by_cause[3010, "inbound"] == {"customer"}
        assert by_cause[3000, "outbound"] | by_cause[3000, "inbound"] == {"carrier"}
        # A busy called party is the carrier's side on an outbound call, the
        # customer's on an inbound one.
        assert by_cause[4410, "outbound"] == {"carrier"}
        assert by_cause[4410, "inbound"] == {"customer"}
    else:
        assert by_cause[4000, "outbound"] == {"Caller", "Callee"}
        assert by_cause[3000, "outbound"] | by_cause[3000, "inbound"] <= {"Plivo", "Carrier"}
        assert by_cause[1000, "outbound"] == {"Caller"}
        assert {"Caller", "Callee", "Plivo", "Carrier", "Answer XML", "Error"} <= set(sources)


def test_attestation_matches_the_stir_verification(made):
    pairs = Counter((r["stir_verification"], r["stir_attest"]) for r in made)
    assert {attest for stir, attest in pairs if stir == "Not Applicable"} == {None}
    assert {attest for stir, attest in pairs if stir == "Not Verified"} == {"B", "C"}
    verified = Counter({attest: n for (stir, attest), n in pairs.items() if stir == "Verified"})
    assert set(verified) == {"A", "B", "C"}
    assert verified["A"] > 0.7 * verified.total()  # mostly A


def test_countries_are_libphonenumbers_reading_of_the_numbers(made):
    for r in made:
        assert r["from_country"] == _country(r["from_number"]), r["from_number"]
        assert r["to_country"] == _country(r["to_number"]), r["to_number"]
    countries = Counter(c for r in made for c in (r["from_country"], r["to_country"]))
    assert None not in countries  # seeded numbers are real numbers of a country
    assert set(countries) >= {"US", "CA", "GB", "DE", "FR", "IN", "BR", "AU", "JP", "NG"}


def test_trunk_fields_are_one_trunk_per_zentrunk_account_and_none_for_voice(made):
    fields = ("trunk_domain", "transport_protocol", "srtp", "secure_trunking",
              "secure_trunking_rate")  # fmt: skip
    trunks = {tuple(r[f] for f in fields) for r in made}
    if made[0]["product"] == "voice":
        assert trunks == {(None, None, False, False, None)}
        return
    assert len(trunks) == 1  # one account, one trunk
    ((domain, transport, srtp, secure, rate),) = trunks
    assert domain.endswith(".zt.plivo.com") and domain.split(".")[0].isdigit()
    assert transport in ("udp", "tcp", "tls")
    # TLS trunks carry SRTP and secure trunking (at a rate); the others neither.
    assert srtp is secure is (transport == "tls") and (rate is not None) is secure


def test_quality_is_reported_for_a_share_of_answered_calls(made):
    fields = ("rtt", "jitter", "packet_loss", "post_dial_delay", "quality_score")
    reported = [r for r in made if r["rtt"] is not None]
    assert 0.4 < len(reported) / len(made) < 0.6  # ~70% of the ~70% answered
    for r in reported:
        rtt, jitter, loss, post_dial, score = (r[f] for f in fields)
        assert r["answer_time"] is not None and None not in (jitter, loss, post_dial, score)
        assert 5 < rtt < 2000 and 0 <= jitter < 200 and 0 <= loss <= 25
        assert 0 < post_dial <= 25 and 1 <= score <= 5
    assert all(r[f] is None for r in made if r["answer_time"] is None for f in fields)
    scores = sorted(r["quality_score"] for r in reported)
    assert scores[len(scores) // 2] >= 4.0 and scores[0] < 3.5  # mostly good, a bad tail


def test_mixed_gives_voice_to_about_30_percent_of_the_accounts_each_one_product():
    ids, weights = seed_accounts(count=20, seed=3)
    call_seed(account_ids=ids, weights=weights, count=4000, seed=3, now=NOW)
    per_account = {}
    for account, product in Call.objects.values_list("account_id", "product").distinct():
        per_account.setdefault(account, set()).add(product)
    assert all(len(products) == 1 for products in per_account.values())
    voice = [a for a, products in per_account.items() if products == {"voice"}]
    assert len(voice) == 6 == round(0.3 * 20)
    zentrunk = Call.objects.filter(product="zentrunk")
    assert zentrunk.values("account_id").distinct().count() == 14
    # One trunk per Zentrunk account, TLS on some of them only.
    transports = dict(zentrunk.values_list("account_id", "transport_protocol").distinct())
    assert len(transports) == 14 and {"tls", "udp"} <= set(transports.values())
    assert not Call.objects.filter(product="voice", trunk_domain__isnull=False).exists()


def test_a_lone_account_is_zentrunk_unless_told_otherwise(main_account, other_account):
    call_seed(account_ids=[main_account.pk], count=200, seed=1, now=NOW)
    call_command(
        "seed_calls", "--account", other_account.auth_id, "--count", "200", "--product",
        "voice", "-v", "0",
    )  # fmt: skip
    products = dict(Call.objects.values_list("account_id", "product").distinct())
    assert products == {main_account.pk: "zentrunk", other_account.pk: "voice"}
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("seed_calls", "--account", main_account.auth_id, "--count", "5",
                     "--product", "sip")  # fmt: skip


def test_demo_setup_gives_both_accounts_voice_calls_and_the_subaccount_trunk_calls(capsys):
    call_command("demo_setup", "--calls", "400")
    main = Account.objects.get(name="Demo main account", parent=None)
    sub = main.subaccounts.get()
    products = Counter(Call.objects.values_list("account_id", "product"))
    # Seeded: 60% main Voice, 15% sub Voice, 25% sub Zentrunk; named: 4 Voice calls on the
    # main account and CarrierX's two (Zentrunk), which the docs' examples ask for.
    assert products == {(main.pk, "voice"): 240 + 4, (main.pk, "zentrunk"): 2,
                        (sub.pk, "voice"): 60, (sub.pk, "zentrunk"): 100}  # fmt: skip
    legs = Call.objects.filter(parent_call_uuid=PARENT_CALL_UUID, account=main)
    assert legs.count() == 2 and Call.objects.filter(call_uuid=PARENT_CALL_UUID).exists()
    assert Call.objects.get(call_uuid=CARRIERX_DR_SID).account == main
    out = capsys.readouterr().out
    assert f"/v1/Account/{main.auth_id}/Call/" in out
    assert f"/v1/Account/{sub.auth_id}/Zentrunk/Call/" in out


def test_demo_setup_json_prints_credentials_that_work(capsys, client):
    call_command("demo_setup", "--calls", "40", "--json")
    made = json.loads(capsys.readouterr().out)
    main = made["main"]
    answer = client.get(f"/v1/Account/{main['auth_id']}/Call/{PARENT_CALL_UUID}/",
                        HTTP_AUTHORIZATION=_basic(main["auth_id"], main["auth_token"]))  # fmt: skip
    assert answer.status_code == 200 and answer.json()["call_uuid"] == PARENT_CALL_UUID
    answer = client.get(f"/core/v2/calls/call_drs/{CARRIERX_DR_SID}",
                        HTTP_AUTHORIZATION=f"Bearer {made['read_token']}")  # fmt: skip
    assert answer.status_code == 200 and answer.json()["dr_sid"] == CARRIERX_DR_SID


def test_demo_setup_prints_a_write_token_and_a_post_that_stores_a_call(capsys, client):
    call_command("demo_setup", "--calls", "40")
    first = capsys.readouterr().out
    call_command("demo_setup", "--calls", "40")
    out = capsys.readouterr().out
    main = Account.objects.get(name="Demo main account", parent=None)
    line = next(x for x in out.splitlines() if "/ingest/v1/calls" in x)
    parts = shlex.split(line)
    user, secret = parts[parts.index("-u") + 1].split(":")
    body = parts[parts.index("--data") + 1]
    path = parts[-1].split(":8000", 1)[1]
    assert user == main.auth_id
    answer = client.post(path, body, content_type="application/json",
                         HTTP_AUTHORIZATION=_basic(user, secret))  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert answer.json()["stored"] == 1
    assert Call.objects.filter(account=main, call_uuid=json.loads(body)["call_uuid"],
                               product="voice").exists()  # fmt: skip
    # The previous run's write token was revoked when this one was printed.
    old_line = next(x for x in first.splitlines() if "/ingest/v1/calls" in x)
    old_secret = shlex.split(old_line)[2].split(":")[1]
    refused = client.post(path, body, content_type="application/json",
                          HTTP_AUTHORIZATION=_basic(user, old_secret))  # fmt: skip
    assert refused.status_code == 401


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_daily_rhythm_puts_more_calls_in_office_hours(seeded):
    hours = Counter(e.hour for e in seeded.values_list("end_time", flat=True))
    assert sum(hours[h] for h in range(9, 17)) > 4 * sum(hours[h] for h in range(0, 5))


def test_the_same_seed_gives_the_same_calls(main_account, other_account):
    def run(account, seed) -> list:
        call_seed(account_ids=[account.pk], count=500, days=10, seed=seed, now=NOW)
        rows = list(
            Call.objects.filter(account=account)
            .order_by("end_time", "call_uuid")
            .values_list("call_uuid", "end_time", "from_number", "bill_duration")
        )
        Call.objects.filter(account=account).delete()
        return rows

    first = run(main_account, 1)
    assert len(first) == 500
    assert run(main_account, 1) == first
    assert run(main_account, 2) != first
    # the same seed for another account is other calls, not a collision
    call_seed(account_ids=[main_account.pk], count=500, days=10, seed=1, now=NOW)
    call_seed(account_ids=[other_account.pk], count=500, days=10, seed=1, now=NOW)
    assert Call.objects.count() == 1000


def test_a_rerun_resumes_instead_of_duplicating(main_account):
    written = call_seed(account_ids=[main_account.pk], count=2500, seed=4, batch_size=1000, now=NOW)
    again = call_seed(account_ids=[main_account.pk], count=2500, seed=4, batch_size=1000, now=NOW)
    assert (written, again) == (2500, 0)
    assert Call.objects.count() == 2500


def test_generated_accounts_are_skewed_with_one_holding_about_30_percent():
    ids, weights = seed_accounts(count=40, seed=5)
    call_seed(account_ids=ids, weights=weights, count=6000, seed=5, now=NOW)
    per_account = Counter(Call.objects.values_list("account_id", flat=True))
    big = Account.objects.get(pk=ids[0])
    tree = [big.pk, *big.subaccounts.values_list("pk", flat=True)]
    share = sum(per_account[i] for i in tree) / 6000
    assert 0.25 < share < 0.35
    assert big.subaccounts.count() == 4
    assert max(per_account[i] for i in ids if i not in tree) < share * 6000
    assert seed_accounts(count=40, seed=5)[0] == ids  # re-running reuses them


def test_the_command_seeds_an_account_and_reports_speed(main_account, capsys):
    call_command(
        "seed_calls", "--account", main_account.auth_id, "--count", "300", "--days", "5", "-v", "0"
    )
    assert Call.objects.filter(account=main_account).count() == 300
    assert "rows/s" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No account"):
        call_command("seed_calls", "--account", "MA" + "0" * 18, "--count", "5")
    with pytest.raises(CommandError, match="positive"):
        call_command("seed_calls", "--account", main_account.auth_id, "--count", "0")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_workers_store_the_same_calls_as_one(main_account, other_account):
    call_seed(account_ids=[main_account.pk], count=3000, seed=9, batch_size=500, now=NOW)
    call_seed(
        account_ids=[main_account.pk], count=3000, seed=9, batch_size=500, now=NOW, workers=2
    )  # everything already there: nothing written twice
    assert Call.objects.count() == 3000
    one = set(Call.objects.values_list("call_uuid", "end_time", "bill_duration"))
    Call.objects.all().delete()
    assert (
        call_seed(
            account_ids=[main_account.pk], count=3000, seed=9, batch_size=500, now=NOW, workers=2
        )
        == 3000
    )
    assert set(Call.objects.values_list("call_uuid", "end_time", "bill_duration")) == one


def test_a_profile_seed_keeps_the_customers_across_seeds():
    """More calls of the same customers (the benchmark grows its table so): another seed,
    new calls, the same products, own numbers and trunks."""
    ids = list(range(1, 41))
    first = CallGenerator(account_ids=ids, seed=1, profile_seed=1)
    second = CallGenerator(account_ids=ids, seed=2, profile_seed=1)
    other = CallGenerator(account_ids=ids, seed=2)
    assert second.products == first.products and second.own_numbers == first.own_numbers
    assert second.trunks == first.trunks
    assert (other.products, other.own_numbers) != (first.products, first.own_numbers)
    assert {r[0] for r in first.chunk(0, 50, 1)}.isdisjoint(r[0] for r in second.chunk(0, 50, 1))


def test_demo_setup_goes_on_when_another_account_holds_a_named_call(capsys, other_account):
    # The docs print these uuids: a tenant of a shared server may have stored one first.
    CallFactory(account=other_account, call_uuid=PARENT_CALL_UUID, end_time=timezone.now())
    call_command("demo_setup", "--calls", "40")
    captured = capsys.readouterr()
    assert f"not stored: {PARENT_CALL_UUID}: another account has a call" in captured.err
    main = Account.objects.get(name="Demo main account", parent=None)
    assert Call.objects.filter(account=main, call_uuid=CARRIERX_DR_SID).exists()
    assert Call.objects.get(call_uuid=PARENT_CALL_UUID).account == other_account
