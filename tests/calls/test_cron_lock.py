"""One cron across hosts: purge_calls and ensure_partitions take an advisory lock, so two
runs at once (the same crontab on two hosts) do the work once; the other exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection

from calls.models import Call
from calls.store import locks, partitions
from tests.factories import CallFactory
from tests.servers import ROOT, database_url

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


@contextmanager
def held_elsewhere(name: str) -> Iterator[None]:
    """The command's lock, held by another session (a run on another host)."""
    with psycopg.connect(database_url().replace("postgres://", "postgresql://"),
                         autocommit=True) as other:  # fmt: skip
        other.execute("SELECT pg_advisory_lock(%s)", [locks.COMMAND_LOCK_KEYS[name]])
        yield


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
    old_calls(main_account, 20_000)
    recent = {c.call_uuid for c in CallFactory.create_batch(3, account=main_account)}
    # Small batches make the purge take seconds, so the two runs surely overlap.
    runs = [command("purge_calls", "--batch-size", "10") for _ in range(2)]
    outputs = [finished(run) for run in runs]
    assert sorted(HELD in out for out in outputs) == [False, True], outputs
    worked = next(out for out in outputs if HELD not in out)
    assert "Removed 20000 calls" in worked
    assert set(Call.objects.values_list("call_uuid", flat=True)) == recent


def test_a_purge_while_another_holds_the_lock_skips_or_waits(main_account):
    old_calls(main_account, 50)
    with held_elsewhere("purge_calls"):
        assert HELD in finished(command("purge_calls"))
        assert finished(command("purge_calls", "-v", "0")) == ""  # cron mails nothing
        assert Call.objects.count() == 50
        waiting = command("purge_calls", "--wait")
        time.sleep(1.5)
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
