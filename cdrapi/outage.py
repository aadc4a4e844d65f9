"""Outages: answered or worked around, and logged once a minute, not per request.

The database (503 with Retry-After), Redis (rate limits fall back to each worker's own
counters: calls/access/counters.py) and read replicas (reads go to the primary:
cdrapi/replicas.py) all report through a `Reporter`.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import DatabaseError, InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 5
REPORT_EVERY_SECONDS = 60


class Reporter:
    """Logs the first failure, then at most one line a minute saying how many it kept
    quiet about: an outage seen by every request must not flood the log."""

    def __init__(self, logger: str) -> None:
        self.logger = logging.getLogger(logger)
        self._lock = threading.Lock()
        self._last = -float(REPORT_EVERY_SECONDS)
        self._suppressed = 0

    def __call__(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < REPORT_EVERY_SECONDS:
                self._suppressed += 1
                return
            suppressed, self._suppressed, self._last = self._suppressed, 0, now
        cause = exc.__cause__ or exc
        first_line = str(cause).strip().splitlines()[0][:200] if str(cause).strip() else ""
        self.logger.error(
            "%s: %s: %s (%d more since the last report)",
            what, type(cause).__name__, first_line, suppressed,
        )  # fmt: skip


_database = Reporter("cdrapi.outage")


def is_outage(exc: BaseException) -> bool:
    """Unreachable database, or a statement cut by statement_timeout (SQLSTATE 57014)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DatabaseError) and getattr(exc.__cause__, "sqlstate", None) == "57014"


def report(exc: BaseException) -> None:
    _database("database unavailable, answering 503", exc)
