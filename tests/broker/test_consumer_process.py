"""consume_calls as operators run it, in its own process against the test database and the
real broker: killed mid-batch and restarted (nothing lost, nothing twice), stopped by
SIGTERM, its broker connection closed by the server, its database connection killed, a
drain's exit status when it dead-lettered a message."""

import json
import os
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from calls.management.refusals import REFUSED_EXIT
from tests.broker import rabbit
from tests.servers import ROOT, manage, run_manage
from tests.waiting import wait_until

# Transactional, so that pytest-django creates the test database even when this module
# runs alone (served_database needs it), runs it after the tests that roll back, and
# empties the tables after each test: the consumer's own process commits its rows. That
# process needs a database server: PostgreSQL only.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres,
]
APP = "cdrapi-consumer-test"  # the consumer's application_name, to kill its connection
END = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def calls(n: int) -> list[bytes]:
    return [
        json.dumps({
            "call_uuid": str(uuid4()), "from_number": "+14155550100",
            "to_number": f"+4420712{i:05d}", "call_direction": "outbound",
            "end_time": END.isoformat(sep=" "), "call_duration": 30,
            "answer_time": (END - timedelta(seconds=20)).isoformat(sep=" "),
        }).encode()
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def account(served_database):
    return json.loads(manage(served_database, "create_account", "Broker", "--json"))["auth_id"]


def rows(database: str, auth_id: str) -> int:
    with psycopg.connect(database.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(
            "SELECT count(*) FROM calls_call c JOIN accounts_account a ON a.id = c.account_id "
            "WHERE a.auth_id = %s",
            [auth_id],
        ).fetchone()[0]


@contextmanager
def consumer(database: str, queue: str, auth_id: str, *extra: str):
    """The command in its own process; yields (process, log path)."""
    env = {**os.environ, "DEBUG": "1", "CDRAPI_COMMAND": "1"}
    env["DATABASE_URL"] = f"{database}?application_name={APP}"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    args = [sys.executable, "manage.py", "consume_calls", "--url", rabbit.URL, "--queue", queue,
            "--format", "calls", "--account", auth_id, "--progress-every", "1", *extra]  # fmt: skip
    with tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False) as log:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process, Path(log.name)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        Path(log.name).unlink(missing_ok=True)


def test_killed_mid_batch_and_restarted_nothing_is_lost_or_stored_twice(
    amqp_url, queue, served_database, account
):
    total = 6000
    rabbit.publish(queue, calls(total))
    for kill_after in (400, 1200, 2000):
        with consumer(served_database, queue, account, "--batch-size", "150") as (process, _):
            wait_until(lambda n=kill_after: rows(served_database, account) >= n, what="rows")
            process.send_signal(signal.SIGKILL)  # no chance to finish or acknowledge
            process.wait()
    assert rows(served_database, account) < total
    with consumer(served_database, queue, account, "--stop-when-idle", "1") as (process, log):
        assert process.wait(120) == 0, log.read_text()
        summary = log.read_text()
    assert rows(served_database, account) == total
    assert rabbit.depth(queue) == 0 and rabbit.depth(f"{queue}.dead") == 0
    assert "stored" in summary


def test_sigterm_stops_cleanly_leaving_the_rest_in_the_queue(
    amqp_url, queue, served_database, account
):
    total = 2000
    rabbit.publish(queue, calls(total))
    with consumer(served_database, queue, account, "--batch-size", "100") as (process, log):
        wait_until(lambda: rows(served_database, account) >= 300, what="rows")
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0, log.read_text()
        output = log.read_text()
    assert "stored " in output.splitlines()[-1]
    # What was stored was acknowledged; the rest is back in the queue, none of it twice.
    wait_until(
        lambda: rows(served_database, account) + rabbit.depth(queue) == total,
        what="every message a row or queued",
        seconds=10,
    )


def test_it_reconnects_when_the_broker_closes_its_connection(
    amqp_url, queue, served_database, account
):
    rabbit.publish(queue, calls(300))
    with consumer(served_database, queue, account) as (process, log):
        wait_until(lambda: rows(served_database, account) == 300, what="first 300")
        rabbit.rabbitmqctl("close_all_connections", "-p", rabbit.VHOST, "cdrapi test")
        rabbit.publish(queue, calls(300))
        wait_until(lambda: rows(served_database, account) == 600, what="300 after reconnect")
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
        output = log.read_text()
    assert "broker: ConnectionClosedByBroker" in output and "reconnecting in" in output


def test_it_waits_out_a_lost_database_connection_and_loses_nothing(
    amqp_url, queue, served_database, account
):
    rabbit.publish(queue, calls(200))
    with consumer(served_database, queue, account) as (process, log):
        wait_until(lambda: rows(served_database, account) == 200, what="first 200")
        with psycopg.connect(served_database.replace("postgres://", "postgresql://", 1)) as conn:
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [APP],
            ).fetchone()[0]
        assert killed >= 1
        rabbit.publish(queue, calls(200))
        wait_until(lambda: rows(served_database, account) == 400, what="200 after the kill")
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
        output = log.read_text()
    assert "database: OperationalError" in output and "retrying in" in output
    assert rabbit.depth(queue) == 0


def test_a_drain_that_dead_lettered_a_message_exits_3_after_its_summary(
    amqp_url, queue, served_database, account
):
    """What a cron job draining the queue sees: the summary on stdout, then one line on
    stderr and a non-zero status; --max-refused 1 lets one through."""
    drain = ("consume_calls", "--url", rabbit.URL, "--queue", queue, "--format", "calls",
             "--account", account, "--stop-when-idle", "0.5")  # fmt: skip
    rabbit.publish(queue, [*calls(1), b"{not json", *calls(1)])
    result = run_manage(served_database, *drain)
    assert result.returncode == REFUSED_EXIT == 3, result.stderr
    assert result.stdout.startswith("stored 2, duplicates 0, dead-lettered 1 ("), result.stdout
    assert result.stderr.splitlines()[-1] == (
        "CommandError: 1 record was dead-lettered, more than --max-refused 0: exit status 3."
    )
    assert rows(served_database, account) == 2 and rabbit.depth(f"{queue}.dead") == 1

    rabbit.publish(queue, [b"[]", *calls(1)])
    result = run_manage(served_database, *drain, "--max-refused", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("stored 1, duplicates 0, dead-lettered 1 (")
    assert "CommandError" not in result.stderr
