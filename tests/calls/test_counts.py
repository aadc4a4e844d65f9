"""Hourly counts (PostgreSQL): totals from them equal a live COUNT, whatever wrote the rows."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from calls import counts
from calls.models import Call
from calls.query.window import Bound, Window
from calls.services import call_import, call_seed
from tests.factories import CallFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
NOW = datetime.now(UTC).replace(microsecond=0)


def _live(ids, window, direction=None) -> int:
    qs = Call.objects.filter(account_id__in=ids).filter(window.q())
    return qs.filter(call_direction=direction).count() if direction else qs.count()


def test_totals_from_counts_equal_live_counts_for_any_window(main_account, subaccount):
    call_seed(
        account_ids=[main_account.pk, subaccount.pk], count=3000, days=20, seed=5, now=NOW
    )  # COPY
    for _ in range(20):  # ORM inserts, some on hour boundaries
        CallFactory(
            account=main_account,
            end_time=(NOW - timedelta(hours=random.randrange(1, 400))).replace(minute=0),
        )
    Call.objects.filter(pk__in=list(Call.objects.values_list("pk", flat=True)[:100])).delete()
    rng = random.Random(1)
    ids = [main_account.pk, subaccount.pk]
    for _ in range(60):
        span = timedelta(seconds=rng.choice([30, 1800, 3600, 5000, 86400, 7 * 86400 + 17]))
        hi = NOW - timedelta(seconds=rng.randrange(0, 10 * 86400))
        if rng.random() < 0.3:
            hi = hi.replace(minute=0, second=0)
        window = Window(Bound(hi - span, rng.random() < 0.5), Bound(hi, rng.random() < 0.5))
        for direction in (None, "inbound"):
            for accounts in (ids, [subaccount.pk]):
                assert counts.window_total(accounts, window, direction) == _live(
                    accounts, window, direction
                )


def test_imports_count_only_rows_actually_stored(main_account):
    record = {
        "call_uuid": "eba53b9e-8fbd-45c1-9444-696d2172fbc8",
        "end_time": (NOW - timedelta(hours=5)).isoformat(),
        "call_duration": 10,
        "from_number": "+1415",
        "to_number": "1212",
        "call_direction": "outbound",
    }
    call_import(records=[(1, record)], account=main_account)
    call_import(records=[(1, record), (2, record)], account=main_account)  # duplicates
    window = Window(Bound(NOW - timedelta(days=1), False), Bound(NOW, False))
    assert counts.window_total([main_account.pk], window) == 1


def test_truncating_the_table_clears_the_counts(main_account):
    CallFactory.create_batch(3, account=main_account)
    with connection.cursor() as cur:
        cur.execute("TRUNCATE calls_call")
        cur.execute(f"SELECT count(*) FROM {counts.TABLE}")
        assert cur.fetchone()[0] == 0
