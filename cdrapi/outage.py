"""Database outages: answered 503 with Retry-After, logged once a minute, not per request."""

from __future__ import annotations

import logging
import threading
import time

from django.db import DatabaseError, InterfaceError, OperationalError

logger = logging.getLogger("cdrapi.outage")
RETRY_AFTER_SECONDS = 5
REPORT_EVERY_SECONDS = 60
_lock = threading.Lock()
_state = {"last": 0.0, "suppressed": 0}


def is_outage(exc: BaseException) -> bool:
    """Unreachable database, or a statement cut by statement_timeout (SQLSTATE 57014)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DatabaseError) and getattr(exc.__cause__, "sqlstate", None) == "57014"


def report(exc: BaseException) -> None:
    now = time.monotonic()
    with _lock:
        if now - _state["last"] < REPORT_EVERY_SECONDS:
            _state["suppressed"] += 1
            return
        suppressed, _state["suppressed"], _state["last"] = _state["suppressed"], 0, now
    cause = exc.__cause__ or exc
    logger.error(
        "database unavailable, answering 503: %s: %s (%d more since the last report)",
        type(cause).__name__, str(cause).strip().splitlines()[0][:200] if str(cause) else "",
        suppressed,
    )  # fmt: skip
