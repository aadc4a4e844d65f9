"""Other database sessions for concurrency tests: raw psycopg, beside the test's own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from django.db import connection, connections


def conninfo() -> str:
    s = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
        host=s["HOST"], port=s["PORT"] or None,
    )  # fmt: skip


def wait_until_blocked(watcher: psycopg.Connection, pid: int) -> None:
    for _ in range(250):
        row = watcher.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
        if row and row[0] == "Lock":
            return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for a lock")


@dataclass
class Contention:
    waits: list[float] = field(default_factory=list)  # seconds each probe took
    result: object = None
    error: BaseException | None = None
    busy_when_released: bool = False  # the work had not finished while the read was held


def while_a_read_is_held(
    work: Callable[[], object], *, hold: str, probe: str, params=(), seconds: float = 3.0
) -> Contention:
    """Run `work` in a thread while another session keeps a read transaction (`hold`) open
    for `seconds` (an export, say), timing `probe` (an API-like query, with `params`) over
    and over from a third session meanwhile; then let the read go and wait for `work`."""
    out = Contention()
    reader = psycopg.connect(conninfo())

    def run() -> None:
        try:
            out.result = work()
        except BaseException as exc:  # reported to the test through `out`
            out.error = exc
        finally:
            connections.close_all()  # this thread's own Django connection

    def release() -> None:
        out.busy_when_released = worker.is_alive()
        reader.rollback()

    worker = threading.Thread(target=run)
    releaser = threading.Timer(seconds, release)  # on time even if a probe is stuck
    prober = psycopg.connect(conninfo(), autocommit=True)
    try:
        reader.execute(hold)
        worker.start()
        releaser.start()
        while releaser.is_alive():
            started = time.perf_counter()
            prober.execute(probe, params).fetchall()
            out.waits.append(time.perf_counter() - started)
            time.sleep(0.01)
        worker.join(120)
    finally:
        releaser.cancel()
        reader.close()
        prober.close()
    return out
