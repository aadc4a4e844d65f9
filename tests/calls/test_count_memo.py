"""Remembered filter counts (PostgreSQL): a total from them equals a plain COUNT of the
same query, before and after every kind of write, and the remembered hours are what it
reads (calls/counting/remembered.py)."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from calls.bulk.purge import call_purge
from calls.counting import planner, remembered
from calls.models import Call
from calls.query.core import CallQuery, Condition
from calls.query.scope import for_path_account
from calls.query.window import Bound, Window
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
    remembered.checked.clear()
    yield
    remembered.checked.clear()


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
    """Each filter and window asked twice: the first ask counted, the second remembered
    (or read from what was remembered before)."""
    for conditions in FILTERS:
        for window in WINDOWS:
            for _ in range(2):
                query = _query(account, conditions, window)
                assert query.total() == query.queryset.count(), (conditions, window)


def _remembered() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {remembered.MEMO}")
        return cur.fetchone()[0]


def _key(account, conditions):
    """The key the planner keeps these conditions' counts by, for this calling account."""
    conditioned = Call.objects.all()
    for number, condition in enumerate(conditions):
        conditioned = condition.apply(conditioned, number)
    return planner._filter(conditioned, account.pk).key


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
    _query(main, conditions, window).total()  # the first ask: counted
    exact = _query(main, conditions, window).total()  # the second: remembered
    with connection.cursor() as cur:
        cur.execute(f"SELECT hour FROM {remembered.MEMO} WHERE account_id = %s LIMIT 1",
                    [main.pk])  # fmt: skip
        (hour,) = cur.fetchone()
        cur.execute(f"UPDATE {remembered.MEMO} SET calls = calls + 1000 WHERE hour = %s "
                    "AND account_id = %s", [hour, main.pk])  # fmt: skip
    assert _query(main, conditions, window).total() == exact + 1000
    CallFactory(account=main, end_time=hour + timedelta(minutes=1), bill_duration=100)  # no match
    assert _query(main, conditions, window).total() == exact


def test_a_first_ask_is_counted_and_the_second_remembered_in_steps(spread, monkeypatch):
    main, _ = spread
    monkeypatch.setattr(remembered, "REMEMBER_BATCH_CALLS", 50)
    query = _query(main, FILTERS[1], WINDOWS[0])
    with CaptureQueriesContext(connection) as first:
        total = query.total()
    assert total == query.queryset.count()
    assert not [q for q in first.captured_queries if remembered.MEMO in q["sql"]]
    assert _remembered() == 0  # a filter asked once costs no memo row
    query = _query(main, FILTERS[1], WINDOWS[0])
    with CaptureQueriesContext(connection) as second:
        assert query.total() == total
    steps = [q for q in second.captured_queries
             if q["sql"].startswith(f"INSERT INTO {remembered.MEMO}")]  # fmt: skip
    assert len(steps) > 3  # 600 calls over 29 days, at least 50 calls a step
    with CaptureQueriesContext(connection) as again:
        assert _query(main, FILTERS[1], WINDOWS[0]).total() == total
    assert not [q for q in again.captured_queries
                if q["sql"].startswith(f"INSERT INTO {remembered.MEMO} ")]  # fmt: skip


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
        cur.execute(f"SELECT count(*) FROM {remembered.MEMO} WHERE hour < %s",
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
        _query(main, FILTERS[1], WINDOWS[0]).total()  # counted
        _query(main, FILTERS[1], WINDOWS[0]).total()  # remembered
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
    stale, kept = (_key(main, c) for c in FILTERS[2:4])
    _sql(f"UPDATE {remembered.FILTERS} SET used = now() - interval '8 days' "
         "WHERE filter_key = %s", [stale])  # fmt: skip
    call_purge(batch_size=1000)
    with connection.cursor() as cur:
        cur.execute(f"SELECT filter_key, count(*) FROM {remembered.MEMO} GROUP BY 1")
        left = dict(cur.fetchall())
        cur.execute(f"SELECT filter_key FROM {remembered.FILTERS}")
        known = {key for (key,) in cur.fetchall()}
    assert stale not in left and left[kept] > 0
    assert stale not in known and kept in known
    _assert_exact(main)  # asked again: counted, remembered again, still exact
    assert stale in _keys_remembered()


def _keys_remembered() -> set:
    with connection.cursor() as cur:
        cur.execute(f"SELECT DISTINCT filter_key FROM {remembered.MEMO}")
        return {key for (key,) in cur.fetchall()}


@pytest.mark.parametrize(
    "conditions",
    [
        (Condition("parent_call_uuid", "exact", None),),
        (Condition("to_number_norm", "startswith", "14155551234"),),
        (Condition("from_number_norm", "startswith", "141555"),),
    ],
    ids=["parent call", "a whole number", "a 6-digit prefix"],
)
def test_what_an_index_narrows_is_counted_through_it_and_never_remembered(spread, conditions):
    """A parent call's legs, a number, a long prefix: a plain COUNT reads only what
    matches, so they cost no memo row, however often asked."""
    main, _ = spread
    parent = CallFactory(account=main, end_time=NOW - timedelta(days=2),
                         from_number="+14155559999", to_number="+14155551234")  # fmt: skip
    CallFactory(account=main, end_time=NOW - timedelta(days=2), parent_call_uuid=parent.call_uuid,
                from_number="+14155550000", to_number="+14155551234")  # fmt: skip
    if conditions[0].field == "parent_call_uuid":
        conditions = (Condition("parent_call_uuid", "exact", parent.call_uuid),)
    for _ in range(3):
        query = _query(main, conditions, WINDOWS[0])
        with CaptureQueriesContext(connection) as ctx:
            assert query.total() == query.queryset.count() >= 1
        assert not [q for q in ctx.captured_queries if "calls_count_" in q["sql"]]
    assert _remembered() == 0
