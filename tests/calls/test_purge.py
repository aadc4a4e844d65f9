"""purge_calls: dry runs, the retention line, interruption, and the partition catalogue."""

from datetime import UTC, datetime, timedelta
from itertools import islice

import psycopg
import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from calls.bulk.purge import PurgeReport, _cutoff, call_purge, purge_steps
from calls.counting import hourly as counts
from calls.models import Call
from calls.store import locks, partitions
from tests.calls import hour_counts, sessions
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC).replace(microsecond=0)
LINE = NOW - timedelta(days=90)
AGES = [
    timedelta(days=400), timedelta(days=130), timedelta(days=110), timedelta(days=95),
    timedelta(days=90, seconds=1), timedelta(days=90), timedelta(days=89, hours=23),
    timedelta(days=30), timedelta(hours=1),
]  # fmt: skip


@pytest.fixture
def aged(main_account):
    """Calls of every age around the line, with partitions reaching 20 weeks back."""
    partitions.ensure(NOW - timedelta(days=140), NOW)
    made = []
    for age in AGES:
        made += CallFactory.create_batch(3, account=main_account, end_time=NOW - age)
    return made


def _state() -> set:
    return set(Call.objects.values_list("call_uuid", flat=True))


def _kept(calls) -> set:
    return {c.call_uuid for c in calls if c.end_time >= LINE}


def test_dry_run_changes_nothing_and_reports_what_would_go(aged):
    before = _state()
    parts_before = partitions.existing()
    report = call_purge(dry_run=True, now=NOW, batch_size=2)
    assert _state() == before
    assert partitions.existing() == parts_before
    assert report.rows == len(before) - len(_kept(aged))


def test_calls_past_the_line_go_and_every_call_inside_stays(aged):
    report = call_purge(now=NOW, batch_size=2)
    assert _state() == _kept(aged)
    assert report.rows == len(aged) - len(_kept(aged))


@pytest.mark.parametrize("stop_after", range(14))
def test_an_interrupted_purge_rerun_ends_like_an_uninterrupted_one(aged, stop_after):
    report = PurgeReport(cutoff=_cutoff(90, NOW), dry_run=False)
    done = list(islice(purge_steps(report, batch_size=2), stop_after))
    assert len(done) == stop_after or stop_after > len(done)  # the run may be shorter
    assert _state() >= _kept(aged)  # nothing inside the window went, even half-way
    call_purge(now=NOW, batch_size=2)
    assert _state() == _kept(aged)
    assert _leftovers() == []
    _assert_counts_exact()


@pytest.mark.postgres
def test_purge_leaves_the_hour_counts_equal_to_a_live_tally(aged):
    """Dropped partitions fire no trigger, nor did deletes from one partition: the counts
    of purged hours must go all the same, and no hour before the line keep a row."""
    call_purge(now=NOW, batch_size=2)
    _assert_counts_exact()
    floor = LINE.replace(minute=0, second=0)
    assert [key for key in hour_counts.counted() if key[1] < floor] == []


@pytest.mark.postgres
def test_purge_trims_counts_left_behind_before_the_line(aged, main_account):
    with connection.cursor() as cur:  # what purges before migration 0006 left, and a zero row
        cur.execute(
            f"INSERT INTO {counts.TABLE} (account_id, hour, call_direction, calls, product, "
            "answered) VALUES (%s, %s, 'inbound', 7, 'zentrunk', true), "
            "(%s, %s, 'inbound', 0, 'zentrunk', true)",
            [main_account.pk, LINE - timedelta(days=30), main_account.pk, NOW - timedelta(days=2)],
        )
    call_purge(now=NOW)
    _assert_counts_exact()


@pytest.mark.postgres
def test_dropped_partitions_are_gone_from_the_catalogue(aged):
    old = [p.name for p in partitions.existing() if p.end <= LINE]
    assert old, "the fixture should create whole partitions past the line"
    report = call_purge(now=NOW)
    assert [name for name, _ in report.partitions] == old
    with connection.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)", [old])
        assert cur.fetchall() == []
    assert _leftovers() == []
    assert report.rows_deleted > 0  # the boundary partition and the default one


@pytest.mark.postgres
def test_a_purge_killed_between_detach_and_drop_finishes_the_drop(aged):
    report = PurgeReport(cutoff=_cutoff(90, NOW), dry_run=False)
    steps = purge_steps(report, batch_size=100)
    assert next(steps).startswith("detached")
    assert _leftovers()  # detached, renamed, not yet dropped
    call_purge(now=NOW)
    assert _leftovers() == []
    assert _state() == _kept(aged)


def test_a_line_inside_the_retention_window_is_refused(aged, capsys):
    with pytest.raises(CommandError, match="at least 90"):
        call_command("purge_calls", "--older-than-days", "30")
    assert len(_state()) == len(aged)


def test_the_command_prints_what_it_removed(aged, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("purge_calls", "--batch-size", "2")
    out = capsys.readouterr().out
    gone = len(aged) - len(_kept(aged))
    assert f"Removed {gone} calls that ended before" in out
    with time_machine.travel(NOW, tick=False):
        call_command("purge_calls", "--dry-run")
    assert "Would remove 0 calls" in capsys.readouterr().out


def test_with_verbosity_0_it_prints_nothing_cron_would_mail(aged, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("purge_calls", "-v", "0", "--batch-size", "2")
        call_command("ensure_partitions", "-v", "0")
    assert capsys.readouterr().out == ""
    assert len(_kept(aged)) < len(aged)  # it did remove what was past the line


def _assert_counts_exact() -> None:
    if connection.vendor == "postgresql":
        assert hour_counts.counted() == hour_counts.live()


# --- purge alongside API reads ----------------------------------------------------------------
PROBE = (  # the shape of an API list page
    "SELECT call_uuid FROM calls_call WHERE account_id = ANY(%s) "
    "AND end_time >= now() - interval '7 days' AND end_time <= now() "
    "ORDER BY end_time DESC, call_uuid DESC LIMIT 20"
)
# A probe never waits behind purge for longer than one lock attempt; some room for a
# loaded machine, far below what a queue behind a held lock costs (seconds).
MAX_WAIT_S = locks.LOCK_TIMEOUT_MS / 1000 + 0.4


@pytest.fixture
def quick_retries(monkeypatch):
    monkeypatch.setattr(locks, "FIRST_WAIT_S", 0.05)
    monkeypatch.setattr(locks, "MAX_WAIT_S", 0.2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reads_never_queue_behind_purge_for_longer_than_its_lock_timeout(aged, quick_retries):
    """An export holds a read on calls_call; purge must DETACH (ACCESS EXCLUSIVE). API
    queries run meanwhile never wait more than a lock attempt, and purge finishes once
    the export is over."""
    account_ids = [aged[0].account_id]
    outcome = sessions.while_a_read_is_held(
        lambda: call_purge(now=NOW, batch_size=2),
        hold="SELECT count(*) FROM calls_call",
        probe=PROBE,
        params=[account_ids],
    )
    assert outcome.busy_when_released  # purge was kept waiting by the export...
    assert len(outcome.waits) > 10 and max(outcome.waits) < MAX_WAIT_S  # ...reads were not
    assert outcome.error is None
    assert _state() == _kept(aged)
    assert _leftovers() == []
    _assert_counts_exact()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_purge_that_never_gets_its_lock_stops_cleanly_and_can_be_rerun(
    aged, quick_retries, monkeypatch
):
    monkeypatch.setattr(locks, "ATTEMPTS", 3)
    parts_before = partitions.existing()
    reader = psycopg.connect(sessions.conninfo())
    try:
        reader.execute("SELECT count(*) FROM calls_call")
        with pytest.raises(CommandError, match=r"still taken after 3 attempts.*run again later"):
            call_command("purge_calls", "-v", "0")
        assert partitions.existing() == parts_before and len(_state()) == len(aged)
    finally:
        reader.close()
    call_purge(now=NOW)
    assert _state() == _kept(aged)
    _assert_counts_exact()


def _leftovers() -> list[str]:
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relname LIKE 'calls_call_purge_%'")
        return [row[0] for row in cur.fetchall()]
