"""Read replicas against a real streaming standby that the test makes itself: a primary
(initdb) and its standby (pg_basebackup -R) on their own ports, served by gunicorn with
DATABASE_REPLICA_URLS. Calls written on the primary appear once replayed; a paused or
stopped standby sends the reads to the primary; never a 500."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.servers import IN_CI, free_port, get, gunicorn, manage
from tests.test_metrics import TOKEN, samples, value

PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = pytest.mark.postgres


def _as_postgres(*command) -> list[str]:
    """The server refuses to run as root: run its tools as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *map(str, command)]
    return [str(c) for c in command]


def _run(*command) -> None:
    subprocess.run(_as_postgres(*command), check=True, capture_output=True, timeout=120)


@contextmanager
def _cluster_pair():
    """(primary URL, standby URL, standby data directory), both servers running."""
    if not (PG_BIN / "initdb").exists() and not IN_CI:
        pytest.skip(f"PostgreSQL server binaries are not in {PG_BIN}")
    work = Path(tempfile.mkdtemp(prefix="cdrapi-replica-"))
    if os.geteuid() == 0:
        shutil.chown(work, "postgres", "postgres")
    primary, standby = work / "primary", work / "standby"
    primary_port, standby_port = free_port(), free_port()
    started = []
    try:
        _run(PG_BIN / "initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {primary_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{work}'\nfsync = off\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
            )
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        _run(PG_BIN / "pg_ctl", "-D", primary, "-l", work / "primary.log", "-w", "start")
        started.append(primary)
        _run(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", primary_port, "-U", "postgres",
             "-D", standby, "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        with (standby / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {standby_port}\n")
        _run(PG_BIN / "pg_ctl", "-D", standby, "-l", work / "standby.log", "-w", "start")
        started.append(standby)
        base = "postgres://postgres@127.0.0.1:{}/cdrapi"
        with psycopg.connect(base.format(primary_port)[: -len("cdrapi")] + "postgres",
                             autocommit=True) as conn:  # fmt: skip
            conn.execute("CREATE DATABASE cdrapi")
        yield base.format(primary_port), base.format(standby_port), standby
    finally:
        for data in reversed(started):
            subprocess.run(_as_postgres(PG_BIN / "pg_ctl", "-D", data, "-m", "immediate",
                                        "stop"), capture_output=True)  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)


def _import_call(primary: str, auth_id: str) -> str:
    call_uuid = str(uuid.uuid4())
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    record = {
        "call_uuid": call_uuid, "call_direction": "outbound", "from_number": "+14158572518",
        "to_number": "14153268174", "initiation_time": str(end - timedelta(seconds=70)),
        "answer_time": str(end - timedelta(seconds=60)), "end_time": str(end),
        "bill_duration": 60, "hangup_cause_code": 4000, "hangup_source": "customer",
    }  # fmt: skip
    manage(primary, "import_calls", "-", "--format", "jsonl", "--account", auth_id, "-v", "0",
            stdin=json.dumps(record) + "\n")  # fmt: skip
    return call_uuid


# The CarrierX face lists every product (a Plivo path serves one).
LIST, DETAIL = "/core/v2/calls/call_drs", "/core/v2/calls/call_drs/{}"


def _listed(port: int, headers: dict) -> list[str]:
    answer = get(port, LIST, headers)
    assert answer.status == 200, answer.body[:300]
    return [cdr["dr_sid"] for cdr in json.loads(answer.body)["items"]]


def _eventually(check, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.2)


def _metrics(port: int) -> dict:
    return samples(get(port, "/metrics", {"Authorization": f"Bearer {TOKEN}"}).body.decode())


def test_reads_come_from_the_standby_and_fall_back_to_the_primary():
    with ExitStack() as stack:
        primary, standby_url, standby = stack.enter_context(_cluster_pair())
        manage(primary, "migrate", "--no-input", "-v", "0")
        auth_id = json.loads(manage(primary, "create_account", "Replicated", "--json"))["auth_id"]
        token = json.loads(manage(primary, "create_token", auth_id, "--scopes", "calls.read",
                                   "--json"))["token"]  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        common = {"DATABASE_URL": primary, "DATABASE_REPLICA_URLS": standby_url,
                  "METRICS_TOKEN": TOKEN, "REPLICA_CHECK_SECONDS": "1",
                  "DB_CONNECT_TIMEOUT": "1"}  # fmt: skip
        # Two servers on the same pair: one tolerates any lag, one at most 2 s.
        patient = stack.enter_context(gunicorn(workers=1, REPLICA_MAX_LAG_SECONDS="3600", **common))
        strict = stack.enter_context(gunicorn(workers=1, REPLICA_MAX_LAG_SECONDS="2", **common))

        first = _import_call(primary, auth_id)
        _eventually(lambda: first in _listed(patient.port, headers))
        assert value(_metrics(patient.port), "cdrapi_replica_reads_total",
                     database="replica_0") > 0  # fmt: skip

        # Replay paused: a call on the primary stays invisible to the patient server,
        # which proves its reads come from the standby; the strict one goes to the primary.
        with psycopg.connect(standby_url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
        second = _import_call(primary, auth_id)
        _eventually(lambda: second in _listed(strict.port, headers))
        assert second not in _listed(patient.port, headers)
        assert get(patient.port, DETAIL.format(second), headers).status == 404
        assert get(strict.port, DETAIL.format(second), headers).status == 200
        assert value(_metrics(strict.port), "cdrapi_replica_fallbacks_total", reason="lag") > 0
        with psycopg.connect(standby_url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
        _eventually(lambda: second in _listed(patient.port, headers))

        # Standby stopped: both keep answering from the primary, never a 500.
        _run(PG_BIN / "pg_ctl", "-D", standby, "-m", "fast", "-w", "stop")
        third = _import_call(primary, auth_id)
        for server in (patient, strict):
            for _ in range(5):
                assert {first, second, third} <= set(_listed(server.port, headers))
            assert get(server.port, DETAIL.format(third), headers).status == 200
            page = _metrics(server.port)
            fallbacks = sum(value(page, "cdrapi_replica_fallbacks_total", reason=reason)
                            for reason in ("error", "unreachable"))  # fmt: skip
            assert fallbacks > 0
            assert "Traceback" not in server.output
            assert "replica unusable" in server.output  # logged (once a minute)
