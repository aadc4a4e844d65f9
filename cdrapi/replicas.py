"""Read replicas: the call reads (list, retrieve) go to a streaming standby when one is
configured, healthy and close enough behind; everything else, and every write, to the
primary.

`read(fn)` is the one way in (calls/query/core.py wraps its reads in it): it picks the
database, and the router sends the ORM reads made inside `fn` there. A replica that does
not answer, fails a statement or lags by more than REPLICA_MAX_LAG_SECONDS is left for
REPLICA_CHECK_SECONDS and the read runs on the primary: logged once a minute, counted in
/metrics (cdrapi_replica_fallbacks_total), never a 500.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

from cdrapi import metrics
from cdrapi.outage import Reporter

T = TypeVar("T")
_reading: ContextVar[str | None] = ContextVar("replica_reading", default=None)
_report = Reporter("cdrapi.replicas")
_lock = threading.Lock()
# alias -> (usable, when it was judged, why not: "unreachable", "lag" or "error", the cause)
_state: dict[str, tuple[bool, float, str, BaseException | None]] = {}

# Seconds the standby is behind: 0 when it has replayed all it received from a live
# stream; otherwise since the last transaction it replayed (an idle primary then makes a
# cut-off standby look old, which errs towards the primary).
LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
       AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0
  ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 1e9)
END
"""


class ReplicaRouter:
    """Reads inside `read` go to the database it chose; all else to the primary. Only the
    primary is migrated: replicas replay its schema."""

    def db_for_read(self, model, **hints) -> str:
        return _reading.get() or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True

    def allow_migrate(self, db, app_label, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def read(fn: Callable[[], T]) -> T:
    """`fn()` with its ORM reads on a usable replica, else on the primary."""
    if _reading.get() is not None:  # nested: keep the database already chosen
        return fn()
    alias = _choose()
    try:
        return _on(alias, fn)
    except (OperationalError, InterfaceError) as exc:
        if alias == DEFAULT_DB_ALIAS or _sqlstate(exc) == "57014":
            raise  # the primary's outage, or a slow statement: a 503 either way
        _mark(alias, False, "error", exc)
        connections[alias].close()
        _fall_back("error", exc)
    return _on(DEFAULT_DB_ALIAS, fn)


def _on(alias: str, fn: Callable[[], T]) -> T:
    token = _reading.set(alias)
    try:
        result = fn()
    finally:
        _reading.reset(token)
    metrics.REPLICA_READS.labels(alias).inc()
    return result


def _choose() -> str:
    aliases = settings.DATABASE_REPLICAS
    if not aliases:
        return DEFAULT_DB_ALIAS
    # Each worker prefers its own replica, so the workers spread over them.
    start = os.getpid() % len(aliases)
    order = aliases[start:] + aliases[:start]
    for alias in order:
        if _usable(alias):
            return alias
    _, _, reason, cause = _state[order[0]]
    _fall_back(reason, cause or RuntimeError(reason))
    return DEFAULT_DB_ALIAS


def _usable(alias: str) -> bool:
    usable, judged, _, _ = _state.get(alias, (False, -float("inf"), "", None))
    if time.monotonic() - judged < settings.REPLICA_CHECK_SECONDS:
        return usable
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_SQL)
            lag = float(cursor.fetchone()[0])
    except (OperationalError, InterfaceError) as exc:
        _mark(alias, False, "unreachable", exc)
        connections[alias].close()
        return False
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        _mark(alias, False, "lag", RuntimeError(f"{alias} is {lag:.1f} s behind the primary"))
        return False
    _mark(alias, True, "", None)
    return True


def _mark(alias: str, usable: bool, reason: str, cause: BaseException | None) -> None:
    with _lock:
        _state[alias] = (usable, time.monotonic(), reason, cause)


def _fall_back(reason: str, exc: BaseException) -> None:
    metrics.REPLICA_FALLBACKS.labels(reason).inc()
    _report("replica unusable, reading from the primary", exc)


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def reset() -> None:
    """Forget every judgement (tests)."""
    with _lock:
        _state.clear()
