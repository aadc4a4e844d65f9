"""One cron across hosts: purge_calls and ensure_partitions take an advisory lock, so two
runs at once (the same crontab on two hosts) do the work once; the other exits 0.

"At once" is an event here, not a hope about timing: a run is known to hold (or wait for)
the lock when PostgreSQL's pg_locks says so, and a run is kept inside its work by a row
lock the test holds until it lets go."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection

from calls.bulk.purge import call_purge
from calls.models import Call
from calls.store import locks, partitions
from tests.factories import CallFactory
from tests.servers import ROOT, database_url
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
NOW = datetime.now(UTC)
HELD = "another run holds the lock"


def command(*args: str) -> subprocess.Popen:
    """manage.py in its own process against the test database, as cron would start it."""
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "1", "CDRAPI_COMMAND": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out


def session(**kwargs) -> psycopg.Connection:
    """Another session on the test database (another host's run, or the test watching)."""
    return psycopg.connect(database_url().replace("postgres://", "postgresql://"), **kwargs)


@contextmanager
def held_elsewhere(name: str) -> Iterator[None]:
    """The command's lock, held by another session (a run on another host)."""
    with session(autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [locks.COMMAND_LOCK_KEYS[name]])
        yield


def lock_sessions(name: str, *, granted: bool) -> list[tuple[int, str | None]]:
    """(pid, what it waits for) of each session holding (or waiting for) the command's
    lock. The key is below 2**32: pg_locks shows it as objid, with classid 0."""
    with session(autocommit=True) as watcher:
        return watcher.execute(
            "SELECT l.pid, a.wait_event_type FROM pg_locks l JOIN pg_stat_activity a "
            "USING (pid) WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = %s "
            "AND l.granted = %s",
            [locks.COMMAND_LOCK_KEYS[name], granted],
        ).fetchall()


def old_calls(account, count: int) -> None:
    """`count` calls that ended 100 days ago (past the line), copied from one in SQL."""
    template = CallFactory(account=account, end_time=NOW - timedelta(days=100))
    columns = [f.column for f in Call._meta.concrete_fields]
    values = ["gen_random_uuid()" if c == "call_uuid" else c for c in columns]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO calls_call ({', '.join(columns)}) SELECT {', '.join(values)} "
            "FROM calls_call, generate_series(2, %s) WHERE call_uuid = %s",
            [count, template.call_uuid],
        )


def test_two_purges_at_once_purge_once(main_account):
    call_purge(batch_size=10_000)  # nothing past the line but what this test adds: the
    # run below only deletes rows, it never detaches a partition (a DDL lock to wait for)
    old_calls(main_account, 50)
    recent = {c.call_uuid for c in CallFactory.create_batch(3, account=main_account)}
    doomed = Call.objects.filter(end_time__lt=NOW - timedelta(days=99)).values("call_uuid")[0]
    with session() as holder:  # one old call locked: the first run's delete waits on it
        holder.execute("SELECT 1 FROM calls_call WHERE call_uuid = %s FOR UPDATE",
                       [doomed["call_uuid"]])  # fmt: skip
        first = command("purge_calls")
        # The first run holds the command's lock and is inside its work, waiting on the row.
        wait_until(lambda: [w for _, w in lock_sessions("purge_calls", granted=True)] == ["Lock"],
                   what="the first purge holding its lock, waiting for the row")  # fmt: skip
        assert HELD in finished(command("purge_calls"))  # the second, meanwhile
        assert first.poll() is None and Call.objects.count() == 53
    assert "Removed 50 calls" in finished(first)
    assert set(Call.objects.values_list("call_uuid", flat=True)) == recent


def test_a_purge_while_another_holds_the_lock_skips_or_waits(main_account):
    old_calls(main_account, 50)
    with held_elsewhere("purge_calls"):
        assert HELD in finished(command("purge_calls"))
        assert finished(command("purge_calls", "-v", "0")) == ""  # cron mails nothing
        assert Call.objects.count() == 50
        waiting = command("purge_calls", "--wait")
        wait_until(lambda: lock_sessions("purge_calls", granted=False),
                   what="the --wait run waiting for the lock")  # fmt: skip
        assert waiting.poll() is None and Call.objects.count() == 50
    assert "Removed 50 calls" in finished(waiting)
    assert Call.objects.count() == 0


def test_ensure_partitions_skips_while_another_run_holds_the_lock():
    last = partitions.existing()[-1]
    with connection.cursor() as cur:
        cur.execute(f'ALTER TABLE calls_call DETACH PARTITION "{last.name}"')
        cur.execute(f'DROP TABLE "{last.name}"')
    with held_elsewhere("ensure_partitions"):
        assert HELD in finished(command("ensure_partitions"))
        assert last not in partitions.existing()
    assert f"created {last.name}" in finished(command("ensure_partitions"))
    assert last in partitions.existing()
