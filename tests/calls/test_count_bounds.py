"""What counting may cost, bounded (calls/counting/): remembered rows capped per tenant,
expensive counts budgeted per tenant, forgetting in bounded steps, a sample re-counted by
check_counts --memo, a count racing a writer, and hours floored in UTC."""

import threading
from datetime import UTC, datetime, timedelta, timezone
from queue import Queue

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import Client, override_settings

from calls.bulk.purge import call_purge
from calls.counting import budget, check, hourly, hours, planner, remembered
from calls.models import Call
from calls.query.core import CallQuery, Condition
from calls.query.scope import for_path_account
from calls.query.window import Bound, Window
from tests.api.conftest import basic
from tests.calls import sessions
from tests.calls.conftest import NOW
from tests.factories import CallFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

WINDOW = Window(Bound(NOW - timedelta(days=29), False), Bound(NOW, False))
# Five filters the memo answers (none of them the hourly counts' or an index's).
FILTERS = [
    (Condition("hangup_cause_code", "exact", 3000),),
    (Condition("bill_duration", "gte", 60),),
    (Condition("bill_duration", "lt", 45),),
    (Condition("from_number_norm", "startswith", "1"),),
    (Condition("stir_verification", "exact", "Verified"),),
]


@pytest.fixture(autouse=True)
def _fresh_worker():
    remembered.checked.clear()
    planner._window_sizes.clear()
    yield
    remembered.checked.clear()


def _total(account, conditions, window=WINDOW) -> tuple[int, int]:
    """(the total, a plain COUNT of the same query)."""
    query = CallQuery(for_path_account(account, account.auth_id), columns=("call_uuid",),
                      conditions=conditions, window=window)  # fmt: skip
    return query.total(), query.queryset.count()


def _ask_twice(account, conditions) -> int:
    """Ask a filter twice (the second ask remembers it); return its exact total."""
    first, count = _total(account, conditions)
    second, _ = _total(account, conditions)
    assert first == second == count, conditions
    return count


def _memo_rows() -> dict:
    """filter key -> memo rows, as stored."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT filter_key, count(*) FROM {remembered.MEMO} GROUP BY 1")
        return dict(cur.fetchall())


def _filter_rows() -> dict:
    """filter key -> memo rows, as calls_count_filter accounts for them."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT filter_key, rows FROM {remembered.FILTERS}")
        return dict(cur.fetchall())


# --- the cap ---------------------------------------------------------------------------------


def test_a_tenant_never_holds_more_than_its_cap_and_the_least_recently_asked_goes(spread):
    main, _ = spread
    _ask_twice(main, FILTERS[0])
    one = sum(_memo_rows().values())  # one filter's rows over the window (both accounts)
    assert one > 0
    with override_settings(COUNT_MEMO_MAX_ROWS=2 * one + one // 2):  # room for two
        for conditions in FILTERS[1:3]:
            _ask_twice(main, conditions)
            assert sum(_memo_rows().values()) <= 2 * one + one // 2
        held = _memo_rows()
        assert len(held) == 2 and held == {k: v for k, v in _filter_rows().items() if v}
        _ask_twice(main, FILTERS[0])  # evicted earlier: counted, remembered again, exact
        assert len(_memo_rows()) == 2


def test_a_filter_too_big_for_the_cap_is_counted_and_never_remembered(spread):
    main, _ = spread
    with override_settings(COUNT_MEMO_MAX_ROWS=10):
        for _ in range(3):
            _ask_twice(main, FILTERS[1])
    assert _memo_rows() == {}


def test_each_tenant_has_its_own_cap(spread):
    """The same filter asked by the main account and by its subaccount is two filters:
    what one tenant remembers never evicts another's."""
    main, sub = spread
    _ask_twice(sub, FILTERS[0])
    mine = dict(_memo_rows())
    with override_settings(COUNT_MEMO_MAX_ROWS=sum(mine.values()) + 5):
        for conditions in FILTERS[1:4]:
            _ask_twice(main, conditions)
        assert mine.items() <= _memo_rows().items()


def test_a_first_ask_over_a_window_too_big_for_one_count_is_remembered_at_once(spread, monkeypatch):
    main, _ = spread
    monkeypatch.setattr(planner, "FIRST_ASK_MAX_CALLS", 10)  # the window holds ~600
    total, count = _total(main, FILTERS[1])
    assert total == count and sum(_memo_rows().values()) > 0


@pytest.mark.parametrize("asks", [1, 2], ids=["asked once", "remembered"])
def test_a_tenant_notes_at_most_its_cap_of_filters(spread, asks):
    main, _ = spread
    with override_settings(COUNT_MEMO_MAX_FILTERS=3):
        for n in range(6):
            for _ in range(asks):
                _total(main, (Condition("bill_duration", "gte", 100 + n),))
    with connection.cursor() as cur:
        cur.execute(f"SELECT sql FROM {remembered.FILTERS} WHERE tenant_id = %s", [main.pk])
        kept = sorted(sql for (sql,) in cur.fetchall())
    assert len(kept) == 3 and all(any(f">= {n}" in s for s in kept) for n in (103, 104, 105))
    assert set(_memo_rows()) <= set(_filter_rows())  # what they remembered went with them


# --- the budget ------------------------------------------------------------------------------


def _hold_slots(account, slots: int) -> psycopg.Connection:
    """Another session holding the tenant's budget slots (a count running elsewhere)."""
    other = psycopg.connect(sessions.conninfo(), autocommit=True)
    for n in range(slots):
        other.execute("SELECT pg_advisory_lock(%s)", [budget._key(account.pk, n)])
    return other


@override_settings(COUNT_BUDGET_MIN_CALLS=0, COUNT_BUDGET_SLOTS=1)
def test_an_expensive_count_over_the_budget_is_a_429_and_other_tenants_go_on(spread, other_account):
    main, _ = spread
    CallFactory(account=other_account, end_time=NOW - timedelta(days=1), hangup_cause_code=3000)
    params = {"hangup_cause_code": "3000",
              "end_time__gte": f"{WINDOW.lower.at:%Y-%m-%d %H:%M}"}  # fmt: skip
    other = _hold_slots(main, 1)
    try:
        busy = Client().get(f"/v1/Account/{main.auth_id}/Zentrunk/Call/", params, **basic(main))
        assert busy.status_code == 429
        assert busy["Retry-After"] == str(budget.RETRY_AFTER_SECONDS)
        assert set(busy.json()) == {"api_id", "error"} and "expensive count" in busy.json()["error"]
        fine = Client().get(f"/v1/Account/{other_account.auth_id}/Zentrunk/Call/", params,
                            **basic(other_account))  # fmt: skip
        assert fine.status_code == 200 and fine.json()["meta"]["total_count"] == 1
        cheap = Client().get(f"/v1/Account/{main.auth_id}/Zentrunk/Call/",
                             {"call_direction": "inbound"}, **basic(main))  # fmt: skip
        assert cheap.status_code == 200  # the hourly counts: no budget needed
    finally:
        other.close()
    again = Client().get(f"/v1/Account/{main.auth_id}/Zentrunk/Call/", params, **basic(main))
    assert again.status_code == 200
    assert again.json()["meta"]["total_count"] == Call.objects.filter(
        account__in=spread, product="zentrunk", hangup_cause_code=3000,
        end_time__gte=WINDOW.lower.at.replace(second=0),
    ).count()  # fmt: skip


@override_settings(COUNT_BUDGET_MIN_CALLS=0, COUNT_BUDGET_SLOTS=1)
def test_a_remembered_filter_over_a_big_window_needs_a_slot_too(spread):
    """Its stale hours are counted live, and writes into past hours can make them all
    stale: a remembered filter is no way around the budget (a hostile tenant's)."""
    main, _ = spread
    _ask_twice(main, FILTERS[0])
    for fresh_worker in (True, False):
        if fresh_worker:
            remembered.checked.clear()
        other = _hold_slots(main, 1)
        try:
            with pytest.raises(budget.CountingBusy):
                _total(main, FILTERS[0])
        finally:
            other.close()
    with override_settings(COUNT_BUDGET_MIN_CALLS=100_000):  # a small window goes on
        other = _hold_slots(main, 1)
        try:
            assert _total(main, FILTERS[0])[0] == _total(main, FILTERS[0])[1]
        finally:
            other.close()


@override_settings(COUNT_BUDGET_MIN_CALLS=0, COUNT_BUDGET_SLOTS=2)
def test_the_budget_gives_each_tenant_its_slots(spread):
    main, _ = spread
    other = _hold_slots(main, 1)
    try:
        assert _total(main, FILTERS[0])[0] == _total(main, FILTERS[0])[1]  # the second slot
    finally:
        other.close()
    with connection.cursor() as cur:  # and it gave it back
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = "
                    "pg_backend_pid() AND classid::bigint = %s",
                    [budget._key(main.pk, 1) >> 32])  # fmt: skip
        assert cur.fetchone()[0] == 0


@override_settings(COUNT_BUDGET_MIN_CALLS=0, COUNT_PARALLEL_WORKERS=0)
def test_a_budgeted_count_runs_without_parallel_workers_and_restores_them(spread):
    main, _ = spread
    seen = []
    with budget.slot(main.pk), connection.cursor() as cur:
        cur.execute("SHOW max_parallel_workers_per_gather")
        seen.append(cur.fetchone()[0])
    with connection.cursor() as cur:
        cur.execute("SHOW max_parallel_workers_per_gather")
        seen.append(cur.fetchone()[0])
    assert seen[0] == "0" and seen[1] != "0"


def test_a_count_of_few_calls_needs_no_budget(spread):
    main, _ = spread
    other = _hold_slots(main, 1)
    try:  # 600 calls in the window, far below COUNT_BUDGET_MIN_CALLS
        assert _total(main, FILTERS[0])[0] == _total(main, FILTERS[0])[1]
    finally:
        other.close()


# --- forgetting ------------------------------------------------------------------------------


def test_purge_forgets_unused_filters_in_bounded_statements(spread, monkeypatch):
    main, _ = spread
    for conditions in FILTERS:
        _ask_twice(main, conditions)
    rows = _memo_rows()
    unused = list(rows)[:4]
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {remembered.FILTERS} SET used = now() - interval '8 days' "
                    "WHERE filter_key = ANY(%s)", [unused])  # fmt: skip
    monkeypatch.setattr(remembered, "FORGET_BATCH_ROWS", 100)
    steps = list(remembered.forget_steps(NOW - timedelta(days=90), 7))
    assert max(steps) <= 100 and sum(steps) >= sum(rows[k] for k in unused)
    assert set(_memo_rows()) == set(rows) - set(unused) == set(_filter_rows())
    call_purge(batch_size=1000)  # the same, through purge: nothing more to forget
    assert set(_memo_rows()) == set(rows) - set(unused)


def test_purge_calls_says_what_it_forgot(spread, capsys):
    main, _ = spread
    _ask_twice(main, FILTERS[0])
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {remembered.FILTERS} SET used = now() - interval '8 days'")
    call_command("purge_calls")
    assert "Forgot " in capsys.readouterr().out and _memo_rows() == {}


# --- check_counts --memo ---------------------------------------------------------------------


def test_check_counts_memo_recounts_a_sample_and_repairs(spread, capsys):
    main, _ = spread
    for conditions in FILTERS[:3]:
        _ask_twice(main, conditions)
    call_command("check_counts", "--memo", "50")
    assert "0 of 50 remembered filter count(s) differ" in capsys.readouterr().out
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {remembered.MEMO} SET calls = calls + 7 WHERE filter_key = "
                    f"(SELECT min(filter_key::text)::uuid FROM {remembered.MEMO})")  # fmt: skip
        damaged = cur.rowcount
    with pytest.raises(CommandError, match=f"^{damaged} of .* differ; run check_counts --memo"):
        call_command("check_counts", "--memo", "100000")
    capsys.readouterr()
    call_command("check_counts", "--memo", "100000", "--repair")
    assert "; forgotten." in capsys.readouterr().out
    call_command("check_counts", "--memo", "100000")
    for conditions in FILTERS[:3]:
        _ask_twice(main, conditions)  # exact again, remembered again


# --- a remembered count racing a writer --------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_count_remembered_while_a_writer_commits_is_never_read_stale(main_account):
    """Outside one transaction: the remembering statement reads its count and the hour's
    signature, then waits (a row lock held by another session) while a writer commits a
    matching call into that hour; the count it then stores is already stale, and no total
    reads it (its signature no longer matches)."""
    hour = hours.floor_hour(NOW - timedelta(days=3))
    CallFactory(account=main_account, end_time=hour + timedelta(minutes=5), hangup_cause_code=3000)
    conditions = FILTERS[0]
    _ask_twice(main_account, conditions)  # remembered: a memo row for that hour
    CallFactory(account=main_account, end_time=hour + timedelta(minutes=6), hangup_cause_code=3000)
    key = next(iter(_memo_rows()))  # the hour is stale now: remembering rewrites its row
    holder = psycopg.connect(sessions.conninfo())
    watcher = psycopg.connect(sessions.conninfo(), autocommit=True)
    pids: Queue = Queue()
    errors: list[BaseException] = []

    def remember() -> None:
        try:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pids.put(cur.fetchone()[0])
            remembered.checked.clear()
            _total(main_account, conditions)  # brings the memo up to date, then reads it
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    try:
        holder.execute(f"SELECT 1 FROM {remembered.MEMO} WHERE filter_key = %s AND hour = %s "
                       "FOR UPDATE", [key, hour])  # fmt: skip
        thread = threading.Thread(target=remember)
        thread.start()
        sessions.wait_until_blocked(watcher, pids.get(timeout=30))
        # A writer commits a matching call into that hour meanwhile (this thread's session).
        CallFactory(account=main_account, end_time=hour + timedelta(minutes=7),
                    hangup_cause_code=3000)  # fmt: skip
        holder.rollback()
        thread.join(60)
    finally:
        for conn in (holder, watcher):
            conn.close()
    assert errors == [] and not thread.is_alive()
    with connection.cursor() as cur:
        cur.execute(f"SELECT calls FROM {remembered.MEMO} WHERE filter_key = %s AND hour = %s",
                    [key, hour])  # fmt: skip
        assert cur.fetchone()[0] == 2  # stored from its snapshot, before the third call
    total, count = _total(main_account, conditions)
    assert total == count == Call.objects.filter(hangup_cause_code=3000).count()
    assert check.check_memo(sample=100)[1] == []


# --- hours in UTC ----------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [timedelta(hours=5, minutes=30), timedelta(hours=5, minutes=45),
                                    timedelta(hours=-3, minutes=-30)])  # fmt: skip
def test_hours_are_floored_in_utc_whatever_the_zone(offset):
    zone = timezone(offset)
    moment = datetime(2026, 11, 20, 10, 50, tzinfo=zone)
    floor = hours.floor_hour(moment)
    assert floor.tzinfo == UTC and floor <= moment < floor + hours.HOUR
    assert floor.minute == floor.second == 0
    window = Window(Bound(moment, False), Bound(moment + timedelta(hours=5), False))
    first, last = hourly.whole_hours(window)
    assert first == hours.ceil_hour(moment) and first >= moment and last <= window.upper.at
    with pytest.raises(ValueError, match="naive"):
        hours.floor_hour(moment.replace(tzinfo=None))
