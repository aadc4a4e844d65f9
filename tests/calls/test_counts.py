"""Hourly counts (PostgreSQL): totals from them equal a live COUNT, whatever wrote the rows."""

import random
import re
import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.test import Client

from calls.bulk.imports import call_import
from calls.bulk.seed import call_seed
from calls.counting import hourly as counts
from calls.models import Call
from calls.query.window import Bound, Window
from calls.store import partitions
from tests.calls import hour_counts, sessions
from tests.calls.conftest import NOW
from tests.factories import AccountFactory, CallFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _live(ids, window, equal=None) -> int:
    return Call.objects.filter(account_id__in=ids).filter(window.q(), **(equal or {})).count()


def test_totals_from_counts_equal_live_counts_for_any_window(main_account, subaccount):
    call_seed(
        account_ids=[main_account.pk, subaccount.pk], count=3000, days=20, seed=5, now=NOW
    )  # COPY
    rng = random.Random(1)
    for _ in range(20):  # ORM inserts, some on hour boundaries
        CallFactory(
            account=main_account,
            end_time=(NOW - timedelta(hours=rng.randrange(1, 400))).replace(minute=0),
            product=rng.choice(["voice", "zentrunk"]),
        )
    Call.objects.filter(pk__in=list(Call.objects.values_list("pk", flat=True)[:100])).delete()
    ids = [main_account.pk, subaccount.pk]
    for _ in range(60):
        span = timedelta(seconds=rng.choice([30, 1800, 3600, 5000, 86400, 7 * 86400 + 17]))
        hi = NOW - timedelta(seconds=rng.randrange(0, 10 * 86400))
        if rng.random() < 0.3:
            hi = hi.replace(minute=0, second=0)
        window = Window(Bound(hi - span, rng.random() < 0.5), Bound(hi, rng.random() < 0.5))
        for equal in EQUALITIES:
            for accounts in (ids, [subaccount.pk]):
                assert counts.window_total(accounts, window, equal) == _live(
                    accounts, window, equal
                ), equal


EQUALITIES = [{}, {"call_direction": "inbound"}, {"product": "zentrunk"},
              {"product": "voice", "call_direction": "outbound"}]  # fmt: skip


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
    assert counts.window_total([main_account.pk], window, {}) == 1


def test_truncating_the_table_clears_the_counts(main_account):
    CallFactory.create_batch(3, account=main_account)
    with connection.cursor() as cur:
        cur.execute("TRUNCATE calls_call")
        cur.execute(f"SELECT count(*) FROM {counts.TABLE}")
        assert cur.fetchone()[0] == 0


# --- every way rows come and go keeps the table equal to a live tally ---------------------
def _some(n: int, rng: random.Random) -> list:
    pks = list(Call.objects.order_by("pk").values_list("pk", flat=True))
    return rng.sample(pks, min(n, len(pks)))


def _partition(rng: random.Random) -> str:
    """A bounded partition that holds seeded calls."""
    return partitions.name_for(partitions.bounds_for(NOW - timedelta(days=rng.randrange(1, 29)))[0])


def _sql(sql: str, params=None) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params)


def update_end_time(rng, main, sub):  # across hours, days and partitions
    shift = timedelta(days=rng.choice([-8, -1, 0, 2]), minutes=rng.randrange(1, 300))
    Call.objects.filter(pk__in=_some(40, rng)).update(end_time=F("end_time") - shift)


def update_account(rng, main, sub):
    Call.objects.filter(pk__in=_some(40, rng)).update(account_id=rng.choice([main, sub]).pk)


def update_direction(rng, main, sub):
    Call.objects.filter(pk__in=_some(40, rng)).update(
        call_direction=rng.choice(["inbound", "outbound"])
    )


def save_a_loaded_call(rng, main, sub):  # the ORM's full-row UPDATE
    call = Call.objects.get(pk=_some(1, rng)[0])
    call.end_time -= timedelta(hours=rng.randrange(1, 100))
    call.account = rng.choice([main, sub])
    call.save()


def delete_through_the_table(rng, main, sub):
    Call.objects.filter(pk__in=_some(40, rng)).delete()


def delete_from_a_partition(rng, main, sub):
    part = _partition(rng)
    _sql(f'DELETE FROM "{part}" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "{part}" LIMIT 30))')


def insert_into_a_partition(rng, main, sub):
    part = _partition(rng)
    _sql(f'CREATE TEMP TABLE copied AS SELECT * FROM "{part}" LIMIT 30')
    _sql("UPDATE copied SET call_uuid = gen_random_uuid(), account_id = %s", [sub.pk])
    _sql(f'INSERT INTO "{part}" SELECT * FROM copied')
    _sql("DROP TABLE copied")


def update_in_a_partition(rng, main, sub):
    part = _partition(rng)
    _sql(
        f'UPDATE "{part}" SET account_id = %s, call_direction = %s '
        f'WHERE ctid = ANY(ARRAY(SELECT ctid FROM "{part}" LIMIT 30))',
        [rng.choice([main, sub]).pk, rng.choice(["inbound", "outbound"])],
    )


def truncate_a_partition(rng, main, sub):
    _sql(f'TRUNCATE "{_partition(rng)}"')


def truncate_the_default_partition(rng, main, sub):
    _sql(f'TRUNCATE "{partitions.DEFAULT_PARTITION}"')


def create_a_partition_for_default_rows(rng, main, sub):
    later = NOW + timedelta(days=rng.randrange(200, 300))
    CallFactory.create_batch(3, account=sub, end_time=later)
    partitions.ensure(later, later + timedelta(seconds=1))


WRITES = [
    update_end_time, update_account, update_direction, save_a_loaded_call,
    delete_through_the_table, delete_from_a_partition, insert_into_a_partition,
    update_in_a_partition, truncate_a_partition, truncate_the_default_partition,
    create_a_partition_for_default_rows,
]  # fmt: skip


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_the_counts_equal_a_live_tally_after(spread, write):
    write(random.Random(3), *spread)
    assert hour_counts.counted() == hour_counts.live()  # no drift, and no zero rows


@pytest.mark.parametrize("seed", range(3))
def test_the_counts_equal_a_live_tally_after_any_sequence_of_writes(spread, seed):
    rng = random.Random(seed)
    for _ in range(12):
        write = rng.choice(WRITES)
        write(rng, *spread)
        assert hour_counts.counted() == hour_counts.live(), write.__name__


def test_an_hour_whose_calls_all_go_leaves_no_row(main_account):
    hour = (NOW - timedelta(days=2)).replace(minute=0, second=0)
    CallFactory.create_batch(3, account=main_account, end_time=hour + timedelta(minutes=5))
    Call.objects.filter(account=main_account).delete()
    assert hour_counts.counted() == {}


# --- check_counts ---------------------------------------------------------------------------
def _api_and_live_totals(account) -> tuple[int, int]:
    """meta.total_count of the default window (7 days) on both products' paths, and a live
    COUNT of the same."""
    total = 0
    for path in ("Call", "Zentrunk/Call"):
        response = Client().get(
            f"/v1/Account/{account.auth_id}/{path}/", HTTP_AUTHORIZATION=_basic(account)
        )
        assert response.status_code == 200
        total += response.json()["meta"]["total_count"]
    now = datetime.now(UTC)
    live = Call.objects.filter(
        account__in=[account, *account.subaccounts.all()],
        end_time__gte=now - timedelta(days=7),
        end_time__lte=now,
    ).count()
    return total, live


def _basic(account) -> str:
    import base64

    raw = f"{account.auth_id}:{account.raw_auth_token}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def _drift(main_account):
    """Damage the table the ways the triggers cannot see: a partition detached and dropped
    by hand, a count changed, a row deleted, a zero row."""
    part = partitions.name_for(partitions.bounds_for(NOW - timedelta(days=3))[0])
    _sql(f'ALTER TABLE calls_call DETACH PARTITION "{part}"')
    _sql(f'DROP TABLE "{part}"')
    _sql(
        f"UPDATE {counts.TABLE} SET calls = calls + 5 WHERE (account_id, hour, call_direction) "
        f"= (SELECT account_id, hour, call_direction FROM {counts.TABLE} "
        "WHERE hour > now() - interval '20 days' ORDER BY 1, 2, 3 LIMIT 1)"
    )
    _sql(
        f"DELETE FROM {counts.TABLE} WHERE (account_id, hour, call_direction) "
        f"= (SELECT account_id, hour, call_direction FROM {counts.TABLE} "
        "WHERE hour > now() - interval '20 days' ORDER BY 1 DESC, 2 DESC LIMIT 1)"
    )
    _sql(
        f"INSERT INTO {counts.TABLE} (account_id, hour, call_direction, calls, product, "
        "answered) VALUES (%s, date_trunc('hour', now()) - interval '30 hours', 'inbound', 0, "
        "'zentrunk', false) "
        "ON CONFLICT DO NOTHING",
        [main_account.pk],
    )


def _in_last(days: int, tally: dict) -> dict:
    line = NOW - timedelta(days=days, hours=1)
    return {key: n for key, n in tally.items() if key[1] >= line}


def test_check_counts_finds_drift_exits_non_zero_and_repairs_it(spread, capsys):
    main_account, _ = spread
    _drift(main_account)
    assert _in_last(90, hour_counts.counted()) != _in_last(90, hour_counts.live())
    total, live = _api_and_live_totals(main_account)
    assert total != live  # the drift shows in the API

    with pytest.raises(CommandError, match=r"difference\(s\) in the last 90 day\(s\).*--repair"):
        call_command("check_counts")
    out = capsys.readouterr().out
    assert f"{main_account.auth_id} " in out and re.search(r": counted \d+, live \d+\n", out)

    call_command("check_counts", "--repair")
    assert "repaired." in capsys.readouterr().out
    assert _in_last(90, hour_counts.counted()) == _in_last(90, hour_counts.live())
    call_command("check_counts")
    assert capsys.readouterr().out.strip() == "0 difference(s) in the last 90 day(s)."
    call_command("check_counts", "-v", "0")
    assert capsys.readouterr().out == ""  # silent when all is well (cron mails any output)
    total, live = _api_and_live_totals(main_account)
    assert total == live


def test_check_counts_looks_only_at_the_days_asked(spread, capsys):
    _sql(  # drift ten days back only
        f"UPDATE {counts.TABLE} SET calls = calls + 1 WHERE hour < now() - interval '10 days'"
    )
    call_command("check_counts", "--days", "9")
    assert capsys.readouterr().out.startswith("0 difference(s)")
    with pytest.raises(CommandError):
        call_command("check_counts", "--days", "11")


def test_check_counts_refuses_a_non_positive_day_count():
    with pytest.raises(CommandError, match="--days must be positive"):
        call_command("check_counts", "--days", "0")


# --- concurrency ------------------------------------------------------------------------------
def _meet(account, early: datetime, late: datetime) -> list[Exception]:
    """Make a two-hour DELETE and a two-hour INSERT of one account meet on the count rows
    of those hours; return the errors they raised.

    A third session holds the earlier hour's row, so the DELETE queues for it first; the
    INSERT then runs into the same row. Locking in key order, the INSERT holds nothing
    while it waits; in any other order it may hold the later hour's row, which the DELETE
    needs next: a deadlock once the holder lets go.
    """
    CallFactory(account=account, end_time=early)
    CallFactory(account=account, end_time=late)
    holder, deleter, inserter, watcher = (psycopg.connect(sessions.conninfo()) for _ in range(4))
    watcher.autocommit = True
    errors: list[Exception] = []

    def run(conn, sql: str) -> None:
        try:
            conn.execute(sql)
            conn.commit()
        except psycopg.Error as exc:  # the deadlock victim's error, reported by the caller
            errors.append(exc)
            conn.rollback()

    try:
        inserter.execute(
            "CREATE TEMP TABLE copied AS SELECT * FROM calls_call WHERE account_id = %s",
            [account.pk],
        )
        inserter.execute("UPDATE copied SET call_uuid = gen_random_uuid()")
        inserter.commit()
        holder.execute(
            f"SELECT 1 FROM {counts.TABLE} WHERE account_id = %s AND hour = %s FOR UPDATE",
            [account.pk, early.replace(minute=0)],
        )
        delete = f"DELETE FROM calls_call WHERE account_id = {account.pk}"
        insert = "INSERT INTO calls_call SELECT * FROM copied"
        writers = [
            threading.Thread(target=run, args=(deleter, delete)),
            threading.Thread(target=run, args=(inserter, insert)),
        ]
        for writer, conn in zip(writers, (deleter, inserter), strict=True):
            writer.start()
            sessions.wait_until_blocked(watcher, conn.info.backend_pid)
        holder.commit()
        for writer in writers:
            writer.join(10)
    finally:
        for conn in (holder, deleter, inserter, watcher):
            conn.close()
    return errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_multi_hour_writes_that_meet_on_the_same_hours_do_not_deadlock():
    """Several pairs of hours (whether unordered locking deadlocks depends on the order a
    hash aggregate happens to yield two keys in; in key order it never does)."""
    errors = []
    for ago in [(5, 3), (8, 7), (12, 9), (15, 14), (21, 18), (30, 26)]:
        early, late = ((NOW - timedelta(hours=h)).replace(minute=10, second=0) for h in ago)
        errors += _meet(AccountFactory(), early, late)
    assert errors == []
    assert hour_counts.counted() == hour_counts.live()
