"""Prometheus metrics: the counters, the middleware that times every request, and their
exposition (served at /metrics, to a token or an allow-listed address, by
calls/access/metrics_view.py).

Under gunicorn each worker is a process with its own counters: with
`PROMETHEUS_MULTIPROC_DIR` set (an empty directory per server; gunicorn.conf.py empties it
at start and tidies up after a dead worker), prometheus-client keeps them in files there
and /metrics adds them up, so any worker answers for all. Management commands run with the
same directory (import_calls) are added in too.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack

from django.db import connections
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from cdrapi import synchronous

REQUESTS = Counter(
    "cdrapi_requests", "Requests answered, by route name and status.",
    ["route", "method", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "cdrapi_request_duration_seconds", "Time to answer a request, by route name.", ["route"]
)
DB_TIME = Histogram(
    "cdrapi_request_db_seconds", "Time a request spent in database statements, by route name.",
    ["route"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)  # fmt: skip
THROTTLED = Counter(
    "cdrapi_throttled_requests", "Requests refused with 429, by the limit that refused them.",
    ["limit"],
)  # fmt: skip
LIMITER_FALLBACKS = Counter(
    "cdrapi_ratelimit_redis_failures",
    "Times a worker found Redis unreachable and counted on its own for a while.",
)
IMPORT_ROWS = Counter(
    "cdrapi_import_rows", "Rows read by import_calls, by field style and outcome.",
    ["source", "outcome"],
)  # fmt: skip
REPLICA_FALLBACKS = Counter(
    "cdrapi_replica_fallbacks", "Reads sent to the primary because a replica could not serve.",
    ["reason"],
)  # fmt: skip
REPLICA_READS = Counter(
    "cdrapi_replica_reads", "Call reads (list, retrieve) by the database that served them.",
    ["database"],
)  # fmt: skip


# --- per request ------------------------------------------------------------------------------
class _StatementTimer:
    """A connection.execute_wrapper adding up the time of every statement."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start


class MetricsMiddleware:
    """Counts and times every request under its route name (never the raw path, which
    carries account ids and would make a series per account)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        start, timer = time.perf_counter(), _StatementTimer()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(timer))
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.view_name if match else "unmatched"
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        LATENCY.labels(route).observe(time.perf_counter() - start)
        DB_TIME.labels(route).observe(timer.seconds)
        return response


# --- /metrics ---------------------------------------------------------------------------------
def exposition() -> bytes:
    """Every counter in Prometheus' text format (CONTENT_TYPE_LATEST): this process's, or
    with PROMETHEUS_MULTIPROC_DIR every worker's and command's added up. The view that
    serves it, and decides who may read it, is calls/access/metrics_view.py."""
    return generate_latest(_registry())


class _SynchronousStandbys:
    """Asked at each scrape, of the primary: how many synchronous standbys confirm its
    commits now (cdrapi/synchronous.py). 0 on a primary with standbys configured means
    writes are acknowledged by one server alone. No series on SQLite or with the
    database away."""

    NAME = "cdrapi_database_synchronous_standbys"
    HELP = "Synchronous standbys confirming the primary's commits now."

    def describe(self):
        yield GaugeMetricFamily(self.NAME, self.HELP)

    def collect(self):
        count = synchronous.standby_count()
        if count is not None:
            yield GaugeMetricFamily(self.NAME, self.HELP, value=count)


_STANDBYS = _SynchronousStandbys()
REGISTRY.register(_STANDBYS)


def _registry():
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_STANDBYS)
    return registry
