"""Prometheus metrics, served at /metrics to a token or an allow-listed address.

Under gunicorn each worker is a process with its own counters: with
`PROMETHEUS_MULTIPROC_DIR` set (an empty directory per server; gunicorn.conf.py empties it
at start and tidies up after a dead worker), prometheus-client keeps them in files there
and /metrics adds them up, so any worker answers for all. Management commands run with the
same directory (import_calls) are added in too.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import os
import time
from contextlib import ExitStack, suppress

from django.conf import settings
from django.db import connections
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from rest_framework.exceptions import Throttled

from cdrapi.addresses import client_address

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


# --- import_calls -----------------------------------------------------------------------------
class ImportSource:
    """The records of one import, passed through unchanged; `name` becomes their field
    style (plivo or carrierx) once one is seen, the `source` label of the row counts."""

    def __init__(self, records) -> None:
        self.records, self.name = records, "unknown"

    def __iter__(self):
        from calls.bulk.records import RecordError, detect_style

        for line, record in self.records:
            if self.name == "unknown" and isinstance(record, dict):
                with suppress(RecordError):
                    self.name = detect_style(record)
            yield line, record


def count_import(source: str, summary) -> None:
    IMPORT_ROWS.labels(source, "stored").inc(summary.stored)
    IMPORT_ROWS.labels(source, "duplicate").inc(summary.duplicates)
    IMPORT_ROWS.labels(source, "rejected").inc(summary.rejected)


# --- /metrics ---------------------------------------------------------------------------------
def metrics_view(request):
    """Prometheus text format, to a bearer METRICS_TOKEN or a METRICS_ALLOW address.

    Plain-text refusals, not an API face's body: 401 for a missing or wrong token (wrong
    ones count towards the failed-authentication lockout), 403 for an address not allowed
    when no token is configured.
    """
    from calls.access.throttling import FailedAuthLimiter

    header = request.META.get("HTTP_AUTHORIZATION", "")
    limiter = FailedAuthLimiter(request)
    try:
        limiter.check()
    except Throttled as exc:
        response = _refusal(429, "Too many failed authentications.")
        response["Retry-After"] = str(max(1, math.ceil(exc.wait or 1)))
        return response
    if header:
        scheme, _, secret = header.partition(" ")
        token = settings.METRICS_TOKEN
        if not (token and scheme.lower() == "bearer"
                and hmac.compare_digest(secret.strip().encode(), token.encode())):  # fmt: skip
            limiter.failed()
            return _refusal(401, "Wrong metrics token.")
    elif not _allowed_address(request):
        if settings.METRICS_TOKEN:
            return _refusal(401, "Send the metrics token: Authorization: Bearer <token>.")
        return _refusal(403, "Metrics are not served to this address.")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def _allowed_address(request) -> bool:
    networks = settings.METRICS_ALLOW
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in networks)


def _refusal(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type="text/plain")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def _registry():
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
