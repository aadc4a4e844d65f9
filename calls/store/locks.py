"""DDL on the live call table without queueing the API behind it.

ATTACH and DETACH PARTITION need strong locks (DETACH: ACCESS EXCLUSIVE on calls_call;
ATTACH: ACCESS EXCLUSIVE on the default partition). A lock request that waits blocks
every later query that touches the table, so a DDL waiting behind one long read (an
export) would stall the whole API. `DETACH ... CONCURRENTLY` avoids that, but PostgreSQL
refuses it on a table with a DEFAULT partition, which ours has. So each DDL step waits
at most LOCK_TIMEOUT_MS for its lock, then gives up, lets the queue drain, and tries
again later with backoff: no query ever waits behind it for longer than that.

Also here: the lock that lets the same maintenance command run from cron on every host
while only one run works at a time (`command_lock`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import OperationalError, connection, transaction

T = TypeVar("T")

LOCK_TIMEOUT_MS = 100  # well under the API's 500 ms statement timeout
ATTEMPTS = 30
FIRST_WAIT_S = 0.2
MAX_WAIT_S = 10.0  # 30 attempts span two to four minutes


class LockBusy(RuntimeError):
    """The lock was not free in any attempt; nothing was changed, run again later."""


def is_lock_timeout(exc: BaseException) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == "55P03"  # lock_not_available


@contextmanager
def short_lock_timeout() -> Iterator[None]:
    """Within the current transaction, give up on any lock after LOCK_TIMEOUT_MS; restore the
    previous limit afterwards (the transaction may be an outer one that goes on writing;
    if the block fails, rolling it back restores the limit)."""
    assert connection.in_atomic_block, "lock_timeout is set for the current transaction"
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('lock_timeout')")
        previous = cur.fetchone()[0]
        cur.execute("SELECT set_config('lock_timeout', %s, true)", [f"{LOCK_TIMEOUT_MS}ms"])
    yield
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def with_lock_retries(step: Callable[[], T], *, what: str) -> T:
    """Run `step` in one atomic block whose every lock wait is cut at LOCK_TIMEOUT_MS.

    A lock timeout rolls the step back whole; we wait (exponential backoff with jitter)
    and run it again. After ATTEMPTS, LockBusy with a sentence for the operator.
    """
    wait = FIRST_WAIT_S
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(wait * random.uniform(0.5, 1.0))
            wait = min(wait * 2, MAX_WAIT_S)
        try:
            with transaction.atomic(), short_lock_timeout():
                return step()
        except OperationalError as exc:
            if not is_lock_timeout(exc):
                raise
    raise LockBusy(
        f"{what}: the lock was still taken after {ATTEMPTS} attempts (each waits at most "
        f"{LOCK_TIMEOUT_MS} ms, so that API queries never queue behind it for longer): a "
        "long transaction holds it (see pg_stat_activity). Nothing of this step was "
        "changed; run again later."
    )


# One run at a time of each maintenance command, across every host (docs/production.md):
# a PostgreSQL session-level advisory lock with a fixed key per command. Session-level, so
# it is held across the command's many transactions and freed by PostgreSQL if the process
# dies. The keys are fixed forever (an operator may look for them in pg_locks, objid) and
# differ from partitions' own transaction-level key (0x43445250, "CDRP").
COMMAND_LOCK_KEYS = {
    "ensure_partitions": 0x43445045,  # "CDPE"
    "purge_calls": 0x43445055,  # "CDPU"
}


def another_run(command: str) -> str:
    """What a command that found its lock taken says (and then exits 0)."""
    return (
        f"{command}: another run holds the lock (advisory lock {COMMAND_LOCK_KEYS[command]:#x}, "
        "probably the same cron on another host); it does the work, nothing was done here. "
        "--wait waits for it instead."
    )


@contextmanager
def command_lock(command: str, *, wait: bool = False) -> Iterator[bool]:
    """Hold `command`'s advisory lock for the block; yield whether we got it.

    Without `wait`, a lock another session holds yields False at once: that run does the
    work, this one has nothing to do. With `wait`, block until it is free (bounded only by
    COMMAND_STATEMENT_TIMEOUT_MS). Not PostgreSQL (SQLite: one host, one process): always
    True, no lock.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = COMMAND_LOCK_KEYS[command]
    with connection.cursor() as cur:
        if wait:
            cur.execute("SELECT pg_advisory_lock(%s), true", [key])
        else:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = cur.fetchone()[-1]
    if not got:
        yield False
        return
    try:
        yield True
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [key])
