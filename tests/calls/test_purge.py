"""purge_calls: dry runs, the retention line, interruption, and the partition catalogue."""

from datetime import UTC, datetime, timedelta
from itertools import islice

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from calls import partitions
from calls.models import Call
from calls.services import PurgeReport, _cutoff, call_purge, purge_steps
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
        call_command("purge_calls", "-v", "0", "--batch-size", "2")
    out = capsys.readouterr().out
    gone = len(aged) - len(_kept(aged))
    assert f"Removed {gone} calls that ended before" in out
    with time_machine.travel(NOW, tick=False):
        call_command("purge_calls", "--dry-run", "-v", "0")
    assert "Would remove 0 calls" in capsys.readouterr().out


def _leftovers() -> list[str]:
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relname LIKE 'calls_call_purge_%'")
        return [row[0] for row in cur.fetchall()]
