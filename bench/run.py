"""`make bench`: grow a PostgreSQL table in steps, serve the real app under gunicorn with
2 workers, drive it with wrk on loopback, print Markdown tables.

    .venv/bin/python bench/run.py [--rows 10000000] [--steps 1000000,3000000]
                                  [--with-30m] [--duration 3] [--database-url URL]

1. Growth: the table is grown to each step then to --rows (30M too with --with-30m);
   at each size the default list, the 30-day window and the worst filters are timed.
2. Write speeds: seed against a plain COPY of the same rows, import, ingest (FreeSWITCH
   posts, batches, visibility) and the RabbitMQ consumer (--writes-only: stop here).
3. Every scenario (bench/scenarios.py) at concurrency 1 and 8, its SQL floor (the
   statements that request runs, timed directly), the textbook peer at 8, our ratio,
   503s; the stack's ceiling (/healthz through the same middleware) and our share of it.
A database already holding --rows calls is reused (no growth table; --fresh to rebuild).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--steps",
        default="1000000,3000000",
        help="sizes measured on the way to --rows (comma-separated)",
    )
    parser.add_argument("--with-30m", action="store_true", help="grow on to 30M rows too")
    parser.add_argument(
        "--writes-only", action="store_true", help="the write speeds alone (no read scenarios)"
    )
    parser.add_argument(
        "--counting-only", action="store_true",
        help="only the counting scenarios: first asks, memo growth, noisy neighbour, purge",
    )  # fmt: skip
    parser.add_argument(
        "--counting-parts", default="first,growth,noisy,purge",
        help="which counting scenarios (comma-separated; default all)",
    )  # fmt: skip
    parser.add_argument("--fresh", action="store_true", help="rebuild even if the rows are there")
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds per run (default 3, 1 below 1M rows)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cdrapi_bench"
        ),
    )
    args = parser.parse_args()  # fmt: skip
    if args.duration is None:
        args.duration = 3.0 if args.rows >= 1_000_000 else 1.0
    return args


def server_connection(url: str):
    """A connection to the PostgreSQL server of `url` (its `postgres` database), or stop
    saying that it does not answer."""
    import psycopg

    parsed = urlparse(url)
    try:
        return psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True,
                               connect_timeout=5)  # fmt: skip
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1]
        raise SystemExit(
            f"PostgreSQL does not answer at {parsed.hostname}:{parsed.port or 5432} ({reason}); "
            "start it, or name another server with BENCH_DATABASE_URL or --database-url"
        ) from None


def setup_django(url: str) -> None:
    os.environ.update(
        # The shipped defaults, not a development checkout's .env (cdrapi/env.py).
        CDRAPI_ENV_FILE="",
        DATABASE_URL=url, DJANGO_SETTINGS_MODULE="bench.settings", DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-secret-key-" + "x" * 40),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # This process seeds, vacuums and purges like a management command: the command
        # statement timeout (none by default), not the API's (VACUUM of 10M rows > 5 s).
        CDRAPI_COMMAND="1",
    )  # fmt: skip
    parsed = urlparse(url)
    with server_connection(url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              [parsed.path.lstrip("/")]).fetchone()  # fmt: skip
        if not exists:
            conn.execute(f'CREATE DATABASE "{parsed.path.lstrip("/")}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def sql_floor(requests: list[tuple[str, dict]], runs: int = 7) -> float:
    """Median ms of running, directly, the SQL statements one request runs."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    path, headers = requests[0]
    client = Client(HTTP_AUTHORIZATION=headers["Authorization"])
    client.get(path)  # the first ask counts; the second remembers; the third reads
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    statements = [q["sql"] for q in ctx.captured_queries]
    samples = []
    with connection.cursor() as cur:
        for _ in range(runs):
            start = time.perf_counter()
            for sql in statements:
                cur.execute(sql)
                if cur.description:
                    cur.fetchall()
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


class Server:
    """gunicorn with 2 sync workers (or `workers`), API-only: a statement past 500 ms is
    cut, 503."""

    def __init__(self, workers: int = 2, env: dict | None = None) -> None:
        from django.db import connections

        connections.close_all()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "cdrapi.wsgi", "--workers", str(workers),
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, "DB_STATEMENT_TIMEOUT_MS": "500", "CDRAPI_COMMAND": "0",
                 **(env or {})},
        )  # fmt: skip
        for _ in range(600):  # until a worker answers (booting takes seconds when busy)
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def rss_mb(self) -> list[float]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                             text=True)  # fmt: skip
        sizes = []
        for pid in out.stdout.split():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def first_ask(base: str, request: tuple[str, dict]) -> float:
    """ms of one request with nothing remembered and nothing asked before (a filter's
    first total is a plain COUNT: calls/counting/planner.py)."""
    path, headers = request
    start = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers),
                                timeout=30) as answer:  # fmt: skip
        answer.read()
    return (time.perf_counter() - start) * 1000


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def measure_growth(
    args, ids, weights, sizes, have: int = 0, first_step: int = 1
) -> list[tuple[int, float, dict]]:
    """Grow the table from `have` rows through `sizes`, timing the scaling scenarios at
    each (their first request, with nothing remembered, as a warm-up)."""
    from bench import data
    from bench.load import drive
    from bench.scenarios import scaling

    out, fx = [], None
    for step, size in enumerate(sizes, start=first_step):  # a seed of its own per step
        seeded = data.grow(ids, weights, size - have, step)
        have = size
        log(f"grown to {size:,} rows ({seeded:,.0f} rows/s)")
        fx = fx or _fixture()
        server = Server()
        try:
            timings = {}
            for case in scaling(fx, datetime.now(UTC)):
                # The first ask, alone and waited for: on 30M rows a filter's first total
                # takes seconds, longer than a timed run (which then measured nothing).
                first_ask(server.base, case.ours[0])
                drive(server.base, case.ours, 1, 1)
                timings[case.name] = drive(server.base, case.ours, 1, args.duration)
        finally:
            server.stop()
        out.append((size, seeded, timings))
    return out


def ingest_writes() -> list[tuple[str, str]]:
    """The write side (#16): FreeSWITCH posts, the batch endpoint, visibility and the
    RabbitMQ consumer, each under an account of its own whose calls are deleted after,
    so the read scenarios see the same table."""
    from accounts.models import Account
    from accounts.services import account_create, token_create
    from bench.consumer import _forget, consumer_rows
    from bench.ingest import ingest_rows

    log("ingest: posts, batches, visibility, consumer")
    name = "ingest bench"
    account = Account.objects.filter(name=name, parent=None).first()
    account = account or account_create(name=name).account
    secret = token_create(account=account, scopes=["calls.write"], name="bench").secret
    server = Server()
    try:
        rows = ingest_rows(server.base, (account.auth_id, secret))
    finally:
        server.stop()
        _forget(account)
    return rows + consumer_rows()


def counting_scenarios(args) -> dict:
    """Issue 26's scenarios (bench/counting.py), each printed as it ends (a long run must
    not lose what it measured). The noisy neighbour runs on the shipped worker count
    (gunicorn.conf.py: 2 x cores + 1), as a deployment would."""
    from bench import counting, data, report

    parts = set(args.counting_parts.split(","))
    data.vacuum()  # what the write speeds left unmarked, as autovacuum would in production
    fx = _fixture()
    now = datetime.now(UTC)
    out: dict = {}
    if parts & {"first", "growth"}:
        server = Server()
        try:
            if "first" in parts:
                log("counting: first asks")
                out["first"] = counting.first_asks(server.base, fx, now)
                report.print_first_asks(out["first"])
            if "growth" in parts:
                log(f"counting: {counting.GROWTH_FILTERS:,} distinct filters, each asked twice")
                out["growth"] = counting.memo_growth(server.base, fx)
                report.print_growth_bound(out["growth"])
        finally:
            server.stop()
    if "noisy" in parts:
        workers = 2 * (os.cpu_count() or 1) + 1
        # The shipped limits, shared by the workers through Redis as production shares them.
        limits = {
            "BENCH_SHIPPED_LIMITS": "1",
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        }
        server = Server(workers=workers, env=limits)
        try:
            log(f"counting: noisy neighbour ({workers} workers)")
            out["noisy"] = counting.noisy_neighbour(server.base, fx, now, max(args.duration, 5.0))
            out["noisy"]["workers"] = workers
            report.print_noisy(out["noisy"])
        finally:
            server.stop()
    if "purge" in parts:
        log("counting: purge with 100,000 remembered filters")
        out["purge"] = counting.purge_with_filters()
        report.print_purge_filters(out["purge"])
    counting.forget_all()
    return out


def _fixture():
    from bench.scenarios import Fixture

    return Fixture()


def main() -> None:
    args = parse_args()
    from bench.load import drive, ensure_wrk

    # What the run needs, checked before anything is seeded: minutes in is too late.
    server_connection(args.database_url).close()
    ensure_wrk()
    from bench.consumer import broker_missing

    missing = broker_missing()
    if missing:
        log(f"the consumer's row will be skipped: {missing}")
    setup_django(args.database_url)
    from bench import data, report

    target = args.rows
    steps = [int(s) for s in args.steps.split(",") if s and int(s) < target] + [target]
    ids, weights = data.accounts(args.accounts)
    have = data.estimate_rows()
    growth = []
    if args.fresh or abs(have - steps[-1]) > steps[-1] * 0.02:
        data.truncate()
        growth = measure_growth(args, ids, weights, steps)
    else:
        log(f"reusing {have:,} rows")
    if args.counting_only:
        counting_scenarios(args)
        return
    log("write speeds")
    seed_copy = data.seed_against_copy(ids, weights, min(200_000, max(20_000, target // 10)))
    fx = _fixture()  # after the writes: its samples must be calls that stay
    imported = data.import_speed(fx.big, min(100_000, max(10_000, target // 10)))
    writes = ingest_writes()
    if args.writes_only:
        report.print_writes(seed_copy=seed_copy, imported=imported, writes=writes,
                            purge=data.purge_speed())  # fmt: skip
        return
    from bench.scenarios import all_scenarios

    now = datetime.now(UTC)
    cases = all_scenarios(fx, now)
    log(f"{len(cases)} scenarios; SQL floors")
    floors = {case.name: sql_floor(case.ours) for case in cases}
    server = Server()
    results = {}
    try:
        health = [("/healthz", {})]
        drive(server.base, health, 2, 1)
        ceiling = drive(server.base, health, 8, args.duration)
        for case in cases:
            data.forget_remembered_counts()
            first = first_ask(server.base, case.ours[0])
            if args.rows >= 1_000_000:  # a quick run skips the warm-up (rows are cached)
                drive(server.base, case.ours, 2, 1)
            one = drive(server.base, case.ours, 1, args.duration)
            eight = drive(server.base, case.ours, 8, args.duration)
            peer = drive(server.base, case.peer, 8, args.duration) if case.peer else None
            results[case.name] = (case, one, eight, peer, first)
            log(f"done: {case.name}")
        rss = server.rss_mb()
    finally:
        server.stop()
    if args.with_30m and target < 30_000_000:  # after the scenarios, which run at --rows
        growth += measure_growth(args, ids, weights, [30_000_000], have=data.estimate_rows(),
                                 first_step=len(steps) + 1)  # fmt: skip
    from calls.models import Call

    report.print_all(
        rows=Call.objects.count(), args=args, growth=growth, results=results, floors=floors,
        ceiling=ceiling, seed_copy=seed_copy, imported=imported, writes=writes,
        purge=data.purge_speed(), rss=rss,
    )  # fmt: skip
    counting_scenarios(args)  # after the tables above, each printed as it ends


if __name__ == "__main__":
    main()
