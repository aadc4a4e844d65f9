"""A budget for expensive counting, per tenant: at most COUNT_BUDGET_SLOTS such counts
of one calling account at a time, across every worker and host.

One tenant asking new filters non-stop made every other tenant wait (4 clients took
another tenant's median list from 6 ms to 1.28 s): each first ask held a worker for the
length of a window's COUNT. A count that may read more than COUNT_BUDGET_MIN_CALLS calls
takes a slot, a PostgreSQL session advisory lock (so a worker that dies gives it back
with its connection); with none free the request is refused at once with a 429 and
Retry-After, in the face's shape, instead of queueing behind the tenant's own counts.
Refusing costs a millisecond; waiting would hold a worker that other tenants need.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router
from rest_framework.exceptions import Throttled

from cdrapi import metrics

_log = logging.getLogger("cdrapi.counts")
_CLASS = 0x434E54  # "CNT": the advisory lock keys of the budget are (_CLASS, tenant, slot)
RETRY_AFTER_SECONDS = 1


class CountingBusy(Throttled):
    """Over the tenant's counting budget: a 429 with Retry-After (cdrapi/faces.py)."""

    def __init__(self) -> None:
        slots = settings.COUNT_BUDGET_SLOTS
        super().__init__(
            wait=RETRY_AFTER_SECONDS,
            detail=(
                f"This account already has {slots} expensive count{'s' * (slots != 1)} "
                "running (a filter counted or remembered over a long window); "
                "retry when it has finished."
            ),
        )


def _key(tenant: int, slot: int) -> int:
    return (_CLASS << 40) | ((tenant & 0xFFFFFFFF) << 8) | slot


@contextmanager
def slot(tenant: int) -> Iterator[None]:
    """Hold one of the tenant's slots for the block, or raise CountingBusy. A primary
    that does not answer opens the budget (the read may still be served by a replica)."""
    slots = settings.COUNT_BUDGET_SLOTS
    if slots <= 0 or connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        yield
        return
    held = None
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cur:
            for n in range(slots):
                cur.execute("SELECT pg_try_advisory_lock(%s)", [_key(tenant, n)])
                if cur.fetchone()[0]:
                    held = _key(tenant, n)
                    break
    except DatabaseError:
        _log.warning("counting budget not checked: the primary did not answer", exc_info=True)
        yield
        return
    if held is None:
        metrics.THROTTLED.labels(limit="counting").inc()
        raise CountingBusy()
    try:
        with _parallel_workers(settings.COUNT_PARALLEL_WORKERS):
            yield
    finally:
        try:
            with connections[DEFAULT_DB_ALIAS].cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [held])
        except DatabaseError:  # the connection is gone, and its lock with it
            pass


@contextmanager
def _parallel_workers(workers: int | None) -> Iterator[None]:
    """PostgreSQL's parallel workers for the counts inside a slot, on the primary's and
    the read connection (None: the server's max_parallel_workers_per_gather). A count
    with two workers runs three processes: on a host of two cores, every other tenant's
    request shares what is left (docs/performance.md, "The counting budget")."""
    if workers is None:
        yield
        return
    from calls.models import Call  # the read connection is the router's, as for the count

    aliases = {DEFAULT_DB_ALIAS, router.db_for_read(Call)}
    for alias in aliases:
        with connections[alias].cursor() as cur:
            cur.execute(f"SET max_parallel_workers_per_gather = {int(workers)}")
    try:
        yield
    finally:
        for alias in aliases:
            try:
                with connections[alias].cursor() as cur:
                    cur.execute("RESET max_parallel_workers_per_gather")
            except DatabaseError:
                pass
