"""The call table on PostgreSQL: range partitions by end_time, and no row ever lost."""

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from uuid import uuid4

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from calls.models import Call
from calls.store import locks, partitions
from tests.calls import hour_counts, sessions
from tests.factories import CallFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _partition_of(call: Call) -> str:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tableoid::regclass::text FROM calls_call WHERE call_uuid = %s",
            [call.call_uuid],
        )
        return cur.fetchone()[0]


def _scanned_partitions(queryset) -> set[str]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    return set(re.findall(r"on (calls_call_\w+)", plan))


def test_migrate_creates_partitions_from_the_retention_line_to_weeks_ahead():
    now = datetime.now(UTC)
    parts = partitions.existing()
    assert parts[0].start <= now - timedelta(days=90)
    assert parts[-1].end >= now + timedelta(days=28)
    assert all(p.end - p.start == timedelta(days=7) for p in parts)
    assert all(p.start.weekday() == 0 for p in parts)  # Mondays


def test_a_query_for_one_week_touches_only_that_weeks_partition(main_account):
    start, end = partitions.bounds_for(datetime.now(UTC) - timedelta(days=14))
    qs = Call.objects.filter(account=main_account, end_time__gte=start, end_time__lt=end)
    assert _scanned_partitions(qs) == {partitions.name_for(start)}


def test_a_seven_day_window_touches_at_most_two_partitions(main_account):
    now = datetime.now(UTC)
    qs = Call.objects.filter(account=main_account, end_time__gte=now - timedelta(days=7))
    scanned = _scanned_partitions(qs.filter(end_time__lte=now))
    assert 1 <= len(scanned) <= 2
    assert "calls_call_default" not in scanned


def test_rows_land_in_the_partition_of_their_end_time(main_account):
    call = CallFactory(account=main_account, end_time=datetime.now(UTC) - timedelta(days=3))
    assert _partition_of(call) == partitions.name_for(partitions.bounds_for(call.end_time)[0])


def test_a_row_far_in_the_future_or_past_is_stored_not_lost(main_account):
    future = CallFactory(account=main_account, end_time=datetime(2999, 1, 1, tzinfo=UTC))
    past = CallFactory(account=main_account, end_time=datetime(1990, 1, 1, tzinfo=UTC))
    assert _partition_of(future) == "calls_call_default"
    assert _partition_of(past) == "calls_call_default"
    assert set(Call.objects.values_list("call_uuid", flat=True)) == {
        future.call_uuid,
        past.call_uuid,
    }


def test_creating_a_partition_moves_the_rows_the_default_partition_caught(main_account):
    later = datetime.now(UTC) + timedelta(days=200)
    call = CallFactory(account=main_account, end_time=later)
    assert _partition_of(call) == "calls_call_default"

    created = partitions.ensure(later, later + timedelta(seconds=1))

    assert [p.name for p in created] == [partitions.name_for(partitions.bounds_for(later)[0])]
    assert _partition_of(call) == created[0].name
    assert Call.objects.filter(pk=call.pk).count() == 1


def test_ensure_partitions_is_idempotent(capsys):
    call_command("ensure_partitions", "--ahead", "60")
    first = partitions.existing()
    call_command("ensure_partitions", "--ahead", "60")
    assert partitions.existing() == first
    assert "0 partition(s) created" in capsys.readouterr().out.splitlines()[-1]
    assert first[-1].end >= datetime.now(UTC) + timedelta(days=60)


def _reloptions(name: str) -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(reloptions, '{}') FROM pg_class WHERE relname = %s", [name])
        return set(cur.fetchone()[0])


AUTOVACUUM = {
    "autovacuum_vacuum_insert_scale_factor=0",
    "autovacuum_vacuum_insert_threshold=100000",
}


def test_a_new_partition_is_vacuumed_every_100k_inserts(main_account):
    later = datetime.now(UTC) + timedelta(days=300)
    call = CallFactory(account=main_account, end_time=later)  # a move-in counts as inserts
    (created,) = partitions.ensure(later, later + timedelta(seconds=1))
    assert _reloptions(created.name) == AUTOVACUUM  # docs/performance.md, "The visibility map"
    assert _partition_of(call) == created.name


def test_ensure_partitions_mends_a_partition_without_the_autovacuum_settings(capsys):
    oldest, newest = partitions.existing()[0], partitions.existing()[-1]
    assert _reloptions(oldest.name) == _reloptions(newest.name) == AUTOVACUUM  # made by migrate
    with connection.cursor() as cur:  # as a partition made before this version was
        cur.execute(
            f'ALTER TABLE "{oldest.name}" RESET (autovacuum_vacuum_insert_scale_factor, '
            "autovacuum_vacuum_insert_threshold)"
        )
    assert _reloptions(oldest.name) == set()
    call_command("ensure_partitions")
    assert _reloptions(oldest.name) == AUTOVACUUM
    assert f"gave {oldest.name} the partitions' autovacuum settings" in capsys.readouterr().out
    assert partitions.tune_autovacuum() == []  # nothing left to mend


def test_ensure_fills_only_gaps_when_the_width_changes(settings):
    before = partitions.existing()
    settings.CALLS_PARTITION_DAYS = 30
    partitions.ensure_ahead(ahead_days=120)
    after = partitions.existing()
    for earlier, later in pairwise(after):
        assert earlier.end <= later.start  # never overlapping
    assert set(before) <= set(after)


def test_seeding_creates_partitions_for_its_rows_first(main_account):
    from calls.bulk.seed import call_seed

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM calls_call_default")
        before = cur.fetchone()[0]
    call_seed(account_ids=[main_account.pk], count=300, days=80, seed=3)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM calls_call_default")
        assert cur.fetchone()[0] == before == 0
    assert Call.objects.count() == 300


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reads_never_queue_behind_a_new_partition_for_longer_than_its_lock_timeout(
    main_account, monkeypatch
):
    """ATTACH takes ACCESS EXCLUSIVE on the default partition, which every retrieve by uuid
    reads. With an export holding such a read, retrieves run meanwhile never wait more
    than a lock attempt, and the partition is made once the export is over."""
    monkeypatch.setattr(locks, "FIRST_WAIT_S", 0.05)
    monkeypatch.setattr(locks, "MAX_WAIT_S", 0.2)
    later = datetime.now(UTC) + timedelta(days=400)
    call = CallFactory(account=main_account, end_time=later)  # in the default partition
    retrieve = "SELECT * FROM calls_call WHERE call_uuid = %s"
    try:
        outcome = sessions.while_a_read_is_held(
            lambda: partitions.ensure(later, later + timedelta(seconds=1)),
            hold=f"SELECT count(*) FROM calls_call WHERE call_uuid = '{call.call_uuid}'",
            probe=retrieve,
            params=[call.call_uuid],
        )
        assert outcome.busy_when_released  # the ATTACH was kept waiting by the export...
        assert len(outcome.waits) > 10
        assert max(outcome.waits) < locks.LOCK_TIMEOUT_MS / 1000 + 0.4  # ...reads were not
        assert outcome.error is None
        assert [p.name for p in outcome.result] == [_partition_of(call)]
        assert hour_counts.counted() == hour_counts.live()
    finally:  # leave the partitions as migrate made them
        for part in partitions.existing():
            if part.start > later - timedelta(days=8):
                with connection.cursor() as cur:
                    cur.execute(f'ALTER TABLE calls_call DETACH PARTITION "{part.name}"')
                    cur.execute(f'DROP TABLE "{part.name}"')


# --- CHECK constraints on every partition ---------------------------------------------------
CHECKED = [f.column for f in Call._meta.concrete_fields if f.db_check(connection)]


def _insert_into(table: str, like: Call, end_time: datetime, **values) -> None:
    """INSERT straight into one partition a copy of `like` with a new uuid and `values`."""
    columns = [f.column for f in Call._meta.concrete_fields]
    given = {"call_uuid": uuid4(), "end_time": end_time, **values}
    exprs = ["%s" if c in given else c for c in columns]
    with connection.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{table}" ({", ".join(columns)}) SELECT {", ".join(exprs)} '
            "FROM calls_call WHERE call_uuid = %s",
            [given[c] for c in columns if c in given] + [like.call_uuid],
        )


def _every_partition() -> list[tuple[str, datetime]]:
    """(name, an end time it holds) for every partition: past, current, future, default."""
    later = datetime.now(UTC) + timedelta(days=200)
    partitions.ensure(later, later + timedelta(seconds=1))  # one made after migrate
    found = [(p.name, p.start) for p in partitions.existing()]
    return [*found, (partitions.DEFAULT_PARTITION, datetime(2999, 1, 1, tzinfo=UTC))]


def _refuses_negative(table: str, like: Call, end_time: datetime, column: str) -> bool:
    try:
        with transaction.atomic():
            _insert_into(table, like, end_time, **{column: -1})
    except IntegrityError:
        return True
    return False


def test_the_model_declares_checks_on_its_durations():
    assert {"call_duration", "bill_duration", "billed_duration", "version"} <= set(CHECKED)


@pytest.mark.parametrize("column", CHECKED)
def test_every_partition_refuses_a_negative_value_inserted_straight_into_it(main_account, column):
    like = CallFactory(account=main_account)
    targets = _every_partition()
    assert len(targets) > 15
    for table, end_time in targets:
        _insert_into(table, like, end_time)  # the same row, non-negative, is welcome
        assert _refuses_negative(table, like, end_time, column), table


def test_restore_checks_mends_a_table_partitioned_without_them(main_account):
    """A database partitioned before the fix: no CHECK on the parent, so none anywhere."""
    like = CallFactory(account=main_account)
    with connection.cursor() as cur:
        for column in CHECKED:
            cur.execute(f'ALTER TABLE calls_call DROP CONSTRAINT "calls_call_{column}_check"')
    targets = _every_partition()
    assert not _refuses_negative(targets[0][0], like, targets[0][1], "call_duration")
    Call.objects.filter(call_duration__lt=0).delete()

    added = partitions.restore_checks(Call)
    assert sorted(added) == sorted(f"calls_call_{c}_check" for c in CHECKED)
    assert partitions.restore_checks(Call) == []  # idempotent
    for table, end_time in _every_partition():
        assert all(_refuses_negative(table, like, end_time, c) for c in CHECKED), table


def test_restore_checks_stops_on_stored_rows_that_break_them(main_account):
    like = CallFactory(account=main_account)
    with connection.cursor() as cur:
        cur.execute('ALTER TABLE calls_call DROP CONSTRAINT "calls_call_bill_duration_check"')
    _insert_into(partitions.DEFAULT_PARTITION, like, datetime(2999, 1, 1, tzinfo=UTC),
                 bill_duration=-600)  # fmt: skip
    with pytest.raises(RuntimeError, match=r'WHERE NOT \("bill_duration" >= 0\)'):
        partitions.restore_checks(Call)
