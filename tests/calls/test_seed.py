"""seed_calls: counts, the shape of the data, determinism, resumability."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account
from calls.bulk.seed import call_seed, seed_accounts
from calls.models import Call

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def seeded(main_account):
    call_seed(account_ids=[main_account.pk], count=4000, days=30, seed=7, now=NOW)
    return Call.objects.filter(account=main_account)


def test_it_stores_exactly_the_count_asked_for(seeded):
    assert seeded.count() == 4000


def test_the_data_has_a_realistic_shape(seeded):
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
    causes = Counter(seeded.values_list("hangup_cause_code", flat=True))
    assert causes.most_common(1)[0][0] == 4000
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
