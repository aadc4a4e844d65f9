"""DDL on the live call table without queueing the API behind it.

ATTACH and DETACH PARTITION need strong locks (DETACH: ACCESS EXCLUSIVE on calls_call;
ATTACH: ACCESS EXCLUSIVE on the default partition). A lock request that waits blocks
every later query that touches the table, so a DDL waiting behind one long read (an
export) would stall the whole API. `DETACH ... CONCURRENTLY` avoids that, but PostgreSQL
refuses it on a table with a DEFAULT partition, which ours has. So each DDL step waits
at most LOCK_TIMEOUT_MS for its lock, then gives up, lets the queue drain, and tries
again later with backoff: no query ever waits behind it for longer than that.
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
