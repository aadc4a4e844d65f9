"""Issue 25: no acknowledged call lost when the database server dies. A Patroni pair
(tests/failover/cluster.py, deploy/patroni/patroni.yml) with a synchronous standby serves
gunicorn through a libpq multi-host DATABASE_URL; switches post calls at >= 200 a second
while the primary's postmaster is SIGKILLed, both ways; the standby's loss, strict and
not; the cost of synchronous commits; a point-in-time recovery. The figures are printed
(`make test PYTEST_ARGS="tests/failover -s"`) and stated in docs/production.md."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
import pytest

from calls.ingest import fs_sample
from tests.failover.cluster import PG_BIN, Cluster, Node, patroni_pair
from tests.failover.load import (
    Load,
    calls_per_second,
    p99,
    seconds_without,
    unanswered_seconds,
)
from tests.ingest.live import Tenant, new_tenant, request
from tests.servers import free_port, get, gunicorn, manage
from tests.test_metrics import TOKEN, samples
from tests.waiting import wait_until

pytestmark = pytest.mark.postgres
WRITES = ("freeswitch", "batch")


@dataclass
class Pair:
    cluster: Cluster
    url: str  # read-write, both hosts
    tenant: Tenant

    def on(self, node: Node, database: str = "cdrapi") -> psycopg.Connection:
        return psycopg.connect(f"postgres://postgres@127.0.0.1:{node.port}/{database}",
                               autocommit=True)  # fmt: skip


@pytest.fixture(scope="module")
def pair():
    with patroni_pair() as cluster:
        primary, _ = cluster.settled()
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{primary.port}/postgres",
                             autocommit=True) as conn:  # fmt: skip
            conn.execute("CREATE DATABASE cdrapi")
            # The same tables without waiting for the standby: the cost's baseline.
            conn.execute("CREATE ROLE cdrapi_local LOGIN SUPERUSER")
            conn.execute("ALTER ROLE cdrapi_local SET synchronous_commit = local")
        url = cluster.url(target_session_attrs="read-write")
        manage(url, "migrate", "--no-input", "-v", "0")
        yield Pair(cluster, url, new_tenant(url))


def _write_auth(pair: Pair) -> str:
    return pair.tenant.write


def _read_auth(pair: Pair) -> str:
    return f"Bearer {pair.tenant.read_token}"


def _workers(pid: int) -> set[int]:
    """gunicorn's worker processes: the same set before and after means none restarted."""
    return set(map(int, open(f"/proc/{pid}/task/{pid}/children").read().split()))


def _standbys_gauge(port: int) -> float | None:
    page = samples(get(port, "/metrics", {"Authorization": f"Bearer {TOKEN}"}).body.decode())
    return page.get(("cdrapi_database_synchronous_standbys", ()))


def _stored(pair: Pair, node: Node, call_uuids) -> tuple[set[str], int]:
    """(those of `call_uuids` stored on `node`, call_uuids stored more than once anywhere)."""
    with pair.on(node) as conn:
        present = {row[0] for row in conn.execute(
            "SELECT call_uuid::text FROM calls_call WHERE call_uuid = ANY(%s::uuid[])",
            [list(call_uuids)])}  # fmt: skip
        repeated = conn.execute(
            "SELECT count(*) FROM (SELECT call_uuid FROM calls_call GROUP BY call_uuid"
            " HAVING count(*) > 1) AS twice"
        ).fetchone()[0]
    return present, repeated


def _post_freeswitch(port: int, auth: str, call_uuid: str):
    body, content_type = fs_sample.post_body(fs_sample.cdr(call_uuid=call_uuid))
    return request(port, "POST", "/ingest/v1/freeswitch", body, Content_Type=content_type,
                   Authorization=auth)  # fmt: skip


def test_the_cost_of_synchronous_commits(pair):
    """The same load, alternately through a role that waits for the standby (every
    commit, as deployed) and one that does not (synchronous_commit = local)."""
    local = pair.cluster.url(user="cdrapi_local", target_session_attrs="read-write")
    figures: dict[str, list] = {"synchronous": [], "local": []}
    with gunicorn(workers=3, DATABASE_URL=pair.url) as waits, \
            gunicorn(workers=3, DATABASE_URL=local) as alone:  # fmt: skip
        for name, url in (("synchronous", pair.url), ("local", local)):
            with psycopg.connect(url) as conn:
                setting = conn.execute("SHOW synchronous_commit").fetchone()[0]
                names = conn.execute("SHOW synchronous_standby_names").fetchone()[0]
            assert setting == ("on" if name == "synchronous" else "local") and names
        for run in range(3):  # the first warms both servers up and is not counted
            for name, server in (("synchronous", waits), ("local", alone)):
                load = Load(server.port, _write_auth(pair), _read_auth(pair),
                            freeswitch_clients=3, batch_clients=1).start()  # fmt: skip
                try:
                    wait_until(lambda load=load: load.acked.total() >= 1500, "1,500 calls", 120)
                finally:
                    load.stop()
                posts, batches = load.of("freeswitch"), load.of("batch")
                assert {a.status for a in posts + batches} <= {200, 201}
                if run:
                    figures[name].append(
                        (calls_per_second(posts + batches), p99(posts), p99(batches))
                    )
    print("\nsynchronous commit cost (calls/s, FreeSWITCH post p99 ms, batch of 25 p99 ms):")
    for name, runs in figures.items():
        print(f"  {name:12}", "; ".join(f"{r:.0f}/s, {f:.0f} ms, {b:.0f} ms" for r, f, b in runs))


def test_no_acknowledged_call_is_lost_when_the_primary_dies_both_ways(pair):
    cluster = pair.cluster
    replicas = cluster.url(target_session_attrs="prefer-standby")
    with gunicorn(workers=4, DATABASE_URL=pair.url, DATABASE_REPLICA_URLS=replicas,
                  REPLICA_CHECK_SECONDS="1", DB_CONNECT_TIMEOUT="2") as server:  # fmt: skip
        workers = _workers(server.process.pid)
        # 4 switches posting 25 CDRs a second, 2 posting 3 batches of 40: 340 calls a second
        # asked for, of which this busy machine answers 200-300.
        load = Load(server.port, _write_auth(pair), _read_auth(pair), freeswitch_clients=4,
                    freeswitch_rate=25, batch_clients=2, batch_rate=3, batch_size=40,
                    reader=True)  # fmt: skip
        rounds = []
        try:
            load.start()
            for _ in range(2):
                primary, standby = cluster.wait_settled()
                steady = time.monotonic()
                wait_until(lambda s=steady: sum(a.records for a in load.of(*WRITES, since=s)
                                                if a.status in (200, 201)) >= 750,
                           "750 calls acknowledged before the kill")  # fmt: skip
                rate = calls_per_second(load.of(*WRITES, since=steady))
                killed = time.monotonic()
                os.kill(primary.postmaster_pid(), signal.SIGKILL)
                wait_until(lambda s=standby: cluster.primary() is s, "the standby promoted", 60)
                wait_until(lambda k=killed: seconds_without(load.of(*WRITES), k) < 60,
                           "a write answered 2xx after the kill", 60)  # fmt: skip
                # Patroni's own rejoin: the old primary rewound and following as the
                # synchronous standby.
                assert cluster.wait_settled() == (standby, primary)
                rejoined = time.monotonic()
                reads = load.of("list", since=killed - 1, until=rejoined)
                rounds.append({
                    "calls/s before the kill": round(rate),
                    "seconds without writes": round(seconds_without(load.of(*WRITES), killed), 1),
                    "seconds without reads": round(unanswered_seconds(reads), 1),
                    "reads during the round": len(reads),
                    "seconds to rejoin": round(rejoined - killed, 1),
                })  # fmt: skip
        finally:
            load.stop()
        primary, _ = cluster.wait_settled()
        present, repeated = _stored(pair, primary, load.acked)
        answers = load.of(*WRITES, "list")
        statuses = {a.status for a in answers}
        print("\nfailover rounds:", json.dumps(rounds, indent=1))
        print(f"acknowledged calls: {len(load.acked)}, lost: {len(set(load.acked) - present)},"
              f" stored twice: {repeated}, answers: {sorted(map(str, statuses))}")  # fmt: skip
        assert set(load.acked) <= present, "an acknowledged call is not on the new primary"
        assert repeated == 0 and max(load.acked.values()) == 1
        assert statuses <= {200, 201, 503}, "only 2xx and 503: no 500, no dropped connection"
        assert all(a.retry_after for a in answers if a.status == 503)
        for figures in rounds:
            assert figures["calls/s before the kill"] >= 200
            assert figures["seconds without writes"] < 30
            assert figures["seconds without reads"] < 30 and figures["reads during the round"]
        assert _workers(server.process.pid) == workers, "a gunicorn worker was restarted"
        assert "Traceback" not in server.output


def test_with_the_standby_down_writes_go_on_and_say_so(pair):
    """Patroni's default (synchronous_mode_strict off): the primary acknowledges alone;
    /metrics says 0 synchronous standbys and Patroni logs it. Strict: a write waits for a
    standby, and one whose wait is cancelled is a 503, never a 2xx."""
    cluster = pair.cluster
    primary, standby = cluster.wait_settled()
    with gunicorn(workers=2, DATABASE_URL=pair.url, METRICS_TOKEN=TOKEN) as server:
        try:
            _standby_down(pair, server.port, primary, standby)
        finally:  # the pair as the next test expects it, whatever happened
            _patronictl(cluster, "edit-config", "--force", "-s", "synchronous_mode_strict=false")
            if standby.process is None or standby.process.poll() is not None:
                cluster.start(standby)
            cluster.wait_settled()


def _standby_down(pair: Pair, port: int, primary: Node, standby: Node) -> None:
    cluster, auth = pair.cluster, _write_auth(pair)
    assert _standbys_gauge(port) == 1
    cluster.stop(standby)
    taken = [_post_freeswitch(port, auth, str(u)) for u in _uuids(5)]
    assert all(reply.status in (201, 503) for reply in taken)
    wait_until(lambda: _standbys_gauge(port) == 0, "the gauge says 0", 30)
    assert _post_freeswitch(port, auth, _uuids(1)[0]).status == 201
    assert "Assigning synchronous standby status to []" in primary.output
    cluster.start(standby)
    cluster.wait_settled()
    wait_until(lambda: _standbys_gauge(port) == 1, "the gauge says 1 again", 30)

    _patronictl(cluster, "edit-config", "--force", "-s", "synchronous_mode_strict=true")
    wait_until(lambda: _strict(cluster), "strict on", 30)
    cluster.stop(standby)
    wait_until(lambda: _sync_names(pair, primary) == "*", "strict: waiting for any", 30)
    waiting = _uuids(1)[0]
    with ThreadPoolExecutor(1) as pool:
        posted = pool.submit(_post_freeswitch, port, auth, waiting)
        backend = wait_until(lambda: _waiting_for_standby(pair, primary), "a commit waits")
        with pair.on(primary, "postgres") as conn:  # what a cancel request does
            conn.execute("SELECT pg_cancel_backend(%s)", [backend])
        reply = posted.result(60)
    assert (reply.status, reply.headers.get("Retry-After")) == (503, "5"), reply.body
    cluster.start(standby)
    cluster.wait_settled()
    # The switch posts it again: it was committed on the primary, and is now on both.
    assert _post_freeswitch(port, auth, waiting).status == 200
    assert _standbys_gauge(port) == 1


def test_point_in_time_recovery_from_a_base_backup_and_the_wal_archive(pair):
    """pg_basebackup, then calls, a moment, more calls; the backup restored with the
    archived WAL to that moment holds the first calls and not the others."""
    cluster = pair.cluster
    primary, _ = cluster.wait_settled()
    backup, restored = cluster.work / "backup", cluster.work / "restored"
    _run(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres",
         "-D", backup, "-X", "stream", "-c", "fast")  # fmt: skip
    with gunicorn(workers=1, DATABASE_URL=pair.url) as server:
        before, after = _uuids(10), _uuids(10)
        for call_uuid in before:
            assert _post_freeswitch(server.port, _write_auth(pair), call_uuid).status == 201
        with pair.on(primary) as conn:
            moment = conn.execute("SELECT clock_timestamp()").fetchone()[0]
            # Every later commit is stamped after the moment.
            wait_until(lambda: conn.execute("SELECT clock_timestamp() > %s", [moment])
                       .fetchone()[0], "the clock past the moment")  # fmt: skip
        for call_uuid in after:
            assert _post_freeswitch(server.port, _write_auth(pair), call_uuid).status == 201
    with pair.on(primary) as conn:
        segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
        wait_until(lambda: (conn.execute("SELECT last_archived_wal FROM pg_stat_archiver")
                            .fetchone()[0] or "") >= segment, "the WAL archived", 60)  # fmt: skip
    _run("cp", "-a", backup, restored)
    port = free_port()
    with (restored / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nhba_file = '{restored}/pg_hba.conf'\n"
            f"ident_file = '{restored}/pg_ident.conf'\narchive_mode = off\n"
            f"restore_command = 'cp {cluster.work}/archive/%f %p'\n"
            f"recovery_target_time = '{moment.isoformat()}'\n"
            "recovery_target_action = promote\nsynchronous_standby_names = ''\n"
        )
    (restored / "recovery.signal").touch()
    try:
        _run(PG_BIN / "pg_ctl", "-D", restored, "-l", cluster.work / "restored.log", "-w",
             "-t", "120", "start")  # fmt: skip
        url = f"postgres://postgres@127.0.0.1:{port}/cdrapi"

        def recovered() -> bool:
            with psycopg.connect(url) as conn:
                return not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]

        wait_until(recovered, "recovery to the moment finished", 120)
        with psycopg.connect(url) as conn:
            present = {row[0] for row in conn.execute(
                "SELECT call_uuid::text FROM calls_call WHERE call_uuid = ANY(%s::uuid[])",
                [before + after])}  # fmt: skip
        assert present == set(before)
    finally:
        subprocess.run(_as_command(PG_BIN / "pg_ctl", "-D", restored, "-m", "immediate", "stop"),
                       capture_output=True)  # fmt: skip


def _uuids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def _strict(cluster: Cluster) -> bool:
    command = ["/usr/bin/patronictl", "-c", str(cluster.nodes[0].config), "show-config"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    return "synchronous_mode_strict: true" in result.stdout


def _waiting_for_standby(pair: Pair, node: Node) -> int | None:
    """The backend whose commit waits for a synchronous standby, if one does."""
    with pair.on(node, "postgres") as conn:
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep'"
                           " AND datname = 'cdrapi'").fetchone()  # fmt: skip
    return row[0] if row else None


def _sync_names(pair: Pair, node: Node) -> str:
    with pair.on(node, "postgres") as conn:
        return conn.execute("SHOW synchronous_standby_names").fetchone()[0]


def _patronictl(cluster: Cluster, *args: str) -> None:
    subprocess.run(["/usr/bin/patronictl", "-c", str(cluster.nodes[0].config), *args],
                   check=True, capture_output=True, timeout=60)  # fmt: skip


def _as_command(*command) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *map(str, command)]
    return [str(c) for c in command]


def _run(*command) -> None:
    subprocess.run(_as_command(*command), check=True, capture_output=True, timeout=180)
