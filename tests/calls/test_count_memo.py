"""Remembered filter counts (PostgreSQL): a total from them equals a plain COUNT of the
same query, before and after every kind of write, and the remembered hours are what it
reads (calls/store/count_memo.py)."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from calls.bulk.purge import call_purge
from calls.models import Call
from calls.query import core, counts
from calls.query.core import CallQuery, Condition
from calls.query.scope import for_path_account
from calls.query.window import Bound, Window
from calls.store import count_memo
from tests.calls.conftest import NOW
from tests.calls.test_counts import WRITES, _some, _sql
from tests.factories import CallFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

FILTERS = [
    (Condition("hangup_cause_code", "exact", 3000),),
    (Condition("call_direction", "exact", "outbound"), Condition("bill_duration", "gte", 60)),
    (Condition("from_number_norm", "startswith", "1"), Condition("bill_duration", "gt", 0)),
    (Condition("bill_duration", "lt", 45),),
    (Condition("stir_verification", "exact", "Verified", negate=True),),
]
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _fresh_worker():
    """Each test starts as a new worker would: nothing known of any filter."""
    core._indexed_totals.clear()
    counts._checked.clear()
    yield
    core._indexed_totals.clear()
    counts._checked.clear()


WINDOWS = [  # 29 days to now; whole hours only; strict bounds on hours; under an hour
    Window(Bound(NOW - timedelta(days=29), False), Bound(NOW, False)),
    Window(Bound((NOW - timedelta(days=9)).replace(minute=0, second=0), False),
           Bound((NOW - timedelta(days=2)).replace(minute=0, second=0), True)),
    Window(Bound((NOW - timedelta(days=20)).replace(minute=0, second=0), True),
           Bound(NOW - timedelta(days=1, minutes=17), False)),
    Window(Bound(NOW - timedelta(days=3, minutes=40), False),
           Bound(NOW - timedelta(days=3, minutes=5), False)),
]  # fmt: skip


def _query(account, conditions, window) -> CallQuery:
    scope = for_path_account(account, account.auth_id)
    return CallQuery(scope, columns=("call_uuid",), conditions=conditions, window=window)


def _assert_exact(account) -> None:
    for conditions in FILTERS:
        for window in WINDOWS:
            query = _query(account, conditions, window)
            assert query.total() == query.queryset.count(), (conditions, window)


def _remembered() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {count_memo.MEMO}")
        return cur.fetchone()[0]


def update_a_filter_column(rng, main, sub):  # not in the hourly counts' key: same totals
    Call.objects.filter(pk__in=_some(40, rng)).update(hangup_cause_code=3000, bill_duration=0)


def delete_one_and_add_one_in_the_same_hour(rng, main, sub):  # the hour's total unchanged
    call = Call.objects.get(pk=_some(1, rng)[0])
    call.delete()
    CallFactory(account_id=call.account_id, end_time=call.end_time, product=call.product,
                hangup_cause_code=3000, bill_duration=120, call_direction="outbound")  # fmt: skip


def add_calls_to_past_hours(rng, main, sub):
    for _ in range(20):
        CallFactory(account=rng.choice([main, sub]), hangup_cause_code=3000, bill_duration=90,
                    end_time=NOW - timedelta(hours=rng.randrange(2, 600)))  # fmt: skip


MEMO_WRITES = [update_a_filter_column, delete_one_and_add_one_in_the_same_hour,
               add_calls_to_past_hours, *WRITES]  # fmt: skip


@pytest.mark.parametrize("write", MEMO_WRITES, ids=lambda w: w.__name__)
def test_remembered_totals_stay_exact_after(spread, write):
    main, sub = spread
    _assert_exact(main)
    assert _remembered() > 0
    write(random.Random(3), main, sub)
    _assert_exact(main)
    _assert_exact(sub)


@pytest.mark.parametrize("seed", range(2))
def test_remembered_totals_stay_exact_after_any_sequence_of_writes(spread, seed):
    rng = random.Random(seed)
    main, sub = spread
    for _ in range(8):
        _assert_exact(main)
        write = rng.choice(MEMO_WRITES)
        write(rng, main, sub)
    _assert_exact(main)


def test_the_total_reads_the_remembered_hours(spread):
    """Proof the path is taken: a remembered count altered by hand shows in the total,
    until a call written to that hour makes the memory stale."""
    main, _ = spread
    conditions, window = FILTERS[3], WINDOWS[0]
    exact = _query(main, conditions, window).total()
    with connection.cursor() as cur:
        cur.execute(f"SELECT hour FROM {count_memo.MEMO} WHERE account_id = %s LIMIT 1", [main.pk])
        (hour,) = cur.fetchone()
        cur.execute(f"UPDATE {count_memo.MEMO} SET calls = calls + 1000 WHERE hour = %s "
                    "AND account_id = %s", [hour, main.pk])  # fmt: skip
    assert _query(main, conditions, window).total() == exact + 1000
    CallFactory(account=main, end_time=hour + timedelta(minutes=1), bill_duration=100)  # no match
    assert _query(main, conditions, window).total() == exact


def test_a_first_total_is_remembered_in_steps_and_then_read_without_counting(spread, monkeypatch):
    main, _ = spread
    monkeypatch.setattr(counts, "REMEMBER_BATCH_CALLS", 50)
    query = _query(main, FILTERS[1], WINDOWS[0])
    with CaptureQueriesContext(connection) as first:
        total = query.total()
    steps = [q for q in first.captured_queries if q["sql"].startswith("INSERT INTO calls_count")]
    assert len(steps) > 3  # 600 calls over 29 days, at least 50 calls a step
    assert total == query.queryset.count()
    with CaptureQueriesContext(connection) as again:
        assert _query(main, FILTERS[1], WINDOWS[0]).total() == total
    assert not [q for q in again.captured_queries if q["sql"].startswith("INSERT")]


def test_without_count_memo_nothing_is_remembered(spread):
    main, _ = spread
    with override_settings(COUNT_MEMO=False):
        _assert_exact(main)
    assert _remembered() == 0


def test_purge_and_repair_forget_what_they_must(spread):
    main, _ = spread
    _assert_exact(main)
    line = NOW - timedelta(days=10)
    call_purge(now=line + timedelta(days=90), batch_size=1000)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {count_memo.MEMO} WHERE hour < %s",
                    [line.replace(minute=0, second=0, microsecond=0)])  # fmt: skip
        assert cur.fetchone()[0] == 0
    _assert_exact(main)
    _sql(f"UPDATE calls_hour_count SET calls = calls + 1 WHERE account_id = {main.pk}")
    call_command("check_counts", "--repair", "-v", "0")
    assert _remembered() == 0
    _assert_exact(main)


def test_a_worker_skips_the_stale_check_for_a_while_and_stays_exact(spread):
    main, sub = spread
    with override_settings(COUNT_MEMO_CHECK_SECONDS=60):
        _query(main, FILTERS[1], WINDOWS[0]).total()
        query = _query(main, FILTERS[1], WINDOWS[0])
        with CaptureQueriesContext(connection) as ctx:
            assert query.total() == query.queryset.count()
        assert len(ctx.captured_queries) == 2  # the total and the reference: no check
        add_calls_to_past_hours(random.Random(1), main, sub)  # counted live meanwhile
        query = _query(main, FILTERS[1], WINDOWS[0])
        assert query.total() == query.queryset.count()


def test_purge_forgets_the_filters_nobody_asked_for_lately(spread):
    main, _ = spread
    _assert_exact(main)
    stale, kept = (_query(main, c, WINDOWS[0])._remembered_filter.key for c in FILTERS[2:4])
    _sql(f"UPDATE {count_memo.USE} SET used = current_date - 8 WHERE filter_key = %s", [stale])
    call_purge(batch_size=1000)
    with connection.cursor() as cur:
        cur.execute(f"SELECT filter_key, count(*) FROM {count_memo.MEMO} GROUP BY 1")
        left = dict(cur.fetchall())
    assert stale not in left and left[kept] > 0
    _assert_exact(main)  # asked again: remembered again, still exact
    with connection.cursor() as cur:  # today is the database's: NOW was read at import
        cur.execute(f"SELECT used = current_date FROM {count_memo.USE} WHERE filter_key = %s",
                    [stale])  # fmt: skip
        assert cur.fetchone()[0] is True


def test_a_rare_indexed_equality_is_counted_through_its_index_once_known(spread, monkeypatch):
    """A parent call's legs, few last time, are counted through the parent index (its
    legs alone), not from the window's remembered hours; many would stay remembered."""
    main, _ = spread
    parent = CallFactory(account=main, end_time=NOW - timedelta(days=2))
    CallFactory(account=main, end_time=NOW - timedelta(days=2), parent_call_uuid=parent.call_uuid)
    legs = (Condition("parent_call_uuid", "exact", parent.call_uuid),)
    for few_per_hour, remembered in ((8, False), (0, True)):  # 0: nothing counts as few
        monkeypatch.setattr(core, "FEW_PER_ACCOUNT_HOUR", few_per_hour)
        _query(main, legs, WINDOWS[0]).total()  # what it matches is known from here on
        query = _query(main, legs, WINDOWS[0])
        with CaptureQueriesContext(connection) as ctx:
            assert query.total() == query.queryset.count() == 1
        assert any(count_memo.MEMO in q["sql"] for q in ctx.captured_queries) is remembered
