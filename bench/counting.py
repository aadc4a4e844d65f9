"""Counting under pressure (issue 26): first asks with nothing remembered, what a tenant's
remembered filters may grow to, a noisy neighbour, and purge with many filters.

Each scenario drives the same gunicorn as the others (bench/run.py's Server) and prints
its own Markdown table (bench/report.py).
"""

from __future__ import annotations

import statistics
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bench.scenarios import Fixture, day30, filters

SAMPLES = 9  # first asks per filter, each after forgetting everything
GROWTH_FILTERS = 10_000
# The pace of the growth client: under THROTTLE_PLIVO_ACCOUNT (300 per 5 s).
GROWTH_RATE = 55.0


def forget_all() -> None:
    """Nothing remembered, nothing asked: the next ask of any filter is a first ask."""
    from bench.data import forget_remembered_counts

    forget_remembered_counts()


def _get(base: str, path: str, headers: dict) -> tuple[int, float]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers),
                                    timeout=60) as answer:  # fmt: skip
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
    return status, (time.perf_counter() - start) * 1000


def first_asks(base: str, fx: Fixture, now: datetime) -> list[tuple[str, dict]]:
    """Each Plivo filter alone over 30 days on the big account: SAMPLES first asks (each
    after forgetting every filter), then a second ask (remembered) and a third (read)."""
    headers = fx.basic(fx.big, fx.big_token)
    since = {"end_time__gte": day30(now)}
    for _ in range(6):  # both workers warm: a cold one's first request is no first ask
        _get(base, fx.big_path, headers)
    rows = []
    for name, params in filters(fx):
        if len(params) > 1 and "call_direction" in params:
            continue  # the pairs: not single filters
        path = f"{fx.big_path}?{urlencode({**params, **since})}"
        samples, statuses = [], set()
        for _ in range(SAMPLES):
            forget_all()
            status, ms = _get(base, path, headers)
            samples.append(ms)
            statuses.add(status)
        _, second = _get(base, path, headers)
        _, third = _get(base, path, headers)
        rows.append((name, {"p50": statistics.median(samples), "max": max(samples),
                            "second": second, "third": third, "statuses": statuses}))  # fmt: skip
    return rows


def _relation_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_total_relation_size('calls_count_memo') + "
                    "pg_total_relation_size('calls_count_filter')")  # fmt: skip
        return int(cur.fetchone()[0])


def memo_growth(base: str, fx: Fixture) -> dict:
    """One client asks GROWTH_FILTERS distinct filters, each twice (the second ask is
    the one that remembers), at a pace within the rate limits; the tables' growth is
    compared with the bound the settings state."""
    from django.conf import settings

    forget_all()
    headers = fx.basic(fx.small, fx.small_token)
    before = _relation_bytes()
    paths = [f"{fx.small_path}?{urlencode({'bill_duration__gte': n})}"
             for n in range(GROWTH_FILTERS)]  # fmt: skip
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    interval = 2 / GROWTH_RATE  # two requests per filter
    start = time.perf_counter()

    def ask(chunk: list[str], offset: int) -> None:
        for i, path in enumerate(chunk):
            due = start + (offset + i * 4) * interval
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            for _ in range(2):
                status, _ = _get(base, path, headers)
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=ask, args=(paths[k::4], k)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    grown = _relation_bytes() - before
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM calls_count_memo")
        memo_rows = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM calls_count_filter")
        filter_rows = cur.fetchone()[0]
    return {"elapsed": elapsed, "statuses": statuses, "grown": grown, "memo_rows": memo_rows,
            "filter_rows": filter_rows, "cap": settings.COUNT_MEMO_MAX_ROWS}  # fmt: skip


def _paced(base: str, request: tuple[str, dict], rate: float, seconds: float) -> dict:
    """Tenant B as a client within its rate limit: `rate` requests a second, one at a
    time, for `seconds`; p50 and p99 of their latencies (ms) and their statuses."""
    path, headers = request
    samples, statuses = [], {}
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        wait = start + n / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        status, ms = _get(base, path, headers)
        samples.append(ms)
        statuses[status] = statuses.get(status, 0) + 1
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p99": samples[int(len(samples) * 0.99) - 1],
        "rps": len(samples) / (time.perf_counter() - start),
        "statuses": statuses,
    }


def noisy_neighbour(base: str, fx: Fixture, now: datetime, duration: float) -> dict:
    """Tenant A (the big account) asks new distinct filters over 30 days non-stop from 8
    wrk connections; tenant B's default list is timed at c1, idle and meanwhile, at 20
    requests a second (within its rate limit: the server runs the shipped limits)."""
    from bench.load import drive

    forget_all()
    b = (fx.small_path, fx.basic(fx.small, fx.small_token))
    for _ in range(40):  # every worker warm (its connection, its caches)
        _get(base, *b)
    seconds = max(duration * 3, 10.0)
    idle = _paced(base, b, 20.0, seconds)
    a_headers = fx.basic(fx.big, fx.big_token)
    since = day30(now)
    a = [(f"{fx.big_path}?{urlencode({'bill_duration__gte': 1000 + n, 'end_time__gte': since})}",
          a_headers) for n in range(20_000)]  # fmt: skip
    noisy: dict = {}
    runner = threading.Thread(target=lambda: noisy.update(drive(base, a, 8, seconds + 3)))
    runner.start()
    time.sleep(1.5)  # A's connections are busy before B is timed
    busy = _paced(base, b, 20.0, seconds)
    runner.join()
    return {"idle": idle, "busy": busy, "noisy": noisy}


def purge_with_filters(filters: int = 100_000, rows_each: int = 10) -> dict:
    """purge_calls with `filters` remembered filters (`rows_each` memo rows each), half
    of them unused for 8 days, inside a transaction rolled back afterwards."""
    from django.db import connection, transaction

    from calls.bulk.purge import call_purge

    class Rollback(Exception):
        pass

    out = {}
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                """INSERT INTO calls_count_filter (filter_key, tenant_id, sql, asks, used, rows)
                SELECT md5(n::text)::uuid, 1, 'bill_duration >= ' || n, 2,
                       now() - CASE WHEN n %% 2 = 0 THEN interval '8 days' ELSE interval '1 hour'
                       END, %s FROM generate_series(1, %s) n""",
                [rows_each, filters],
            )
            cur.execute(
                """INSERT INTO calls_count_memo (filter_key, account_id, hour, calls, total, epoch)
                SELECT md5(n::text)::uuid, 1, date_trunc('hour', now()) - h * interval '1 hour',
                       1, 1, 0 FROM generate_series(1, %s) n, generate_series(1, %s) h""",
                [filters, rows_each],
            )
            start = time.perf_counter()
            call_purge(now=datetime.now(UTC) + timedelta(seconds=1))
            out["elapsed"] = time.perf_counter() - start
            cur.execute("SELECT count(*) FROM calls_count_filter WHERE tenant_id = 1")
            out["left"] = cur.fetchone()[0]
            raise Rollback
    except Rollback:
        pass
    out["filters"], out["rows"] = filters, filters * rows_each
    return out
