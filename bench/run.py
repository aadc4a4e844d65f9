"""`make bench`: seed (or reuse) a PostgreSQL database, serve the real app under gunicorn
with 2 workers, drive it from a second process on loopback, print one Markdown table.

    .venv/bin/python bench/run.py [--rows 10000000] [--duration 5] [--database-url URL]

For each scenario: p50/p95/p99 latency at concurrency 1 and 8, requests/s at 8, and the
floor: the SQL that request runs, timed directly. Then seed, import and purge speeds and
the workers' memory. A database already seeded with the same row count is reused.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per run")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cdrapi_bench"
        ),
    )
    return parser.parse_args()  # fmt: skip


def setup_django(url: str) -> None:
    os.environ.update(
        DATABASE_URL=url, DJANGO_SETTINGS_MODULE="bench.settings", DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-secret-key-" + "x" * 40),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # This process seeds, vacuums and purges like a management command: the command
        # statement timeout (none by default), not the API's (VACUUM of 10M rows > 5 s).
        CDRAPI_COMMAND="1",
    )  # fmt: skip
    import psycopg

    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              [parsed.path.lstrip("/")]).fetchone()  # fmt: skip
        if not exists:
            conn.execute(f'CREATE DATABASE "{parsed.path.lstrip("/")}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ensure_data(rows: int, accounts: int) -> str:
    from django.db import connection

    from calls.bulk.seed import call_seed, seed_accounts
    from calls.models import Call

    with connection.cursor() as cur:  # planner estimates: counting 10M rows takes seconds
        cur.execute(
            "SELECT coalesce(sum(c.reltuples), 0)::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'calls_call'::regclass"
        )
        estimate = cur.fetchone()[0]
    if estimate and abs(estimate - rows) <= rows * 0.02 and Call.objects.exists():
        return f"reused ({estimate:,} rows)"
    with connection.cursor() as cur:
        cur.execute("TRUNCATE calls_call")
    ids, weights = seed_accounts(count=accounts, seed=1)
    start = time.perf_counter()
    call_seed(account_ids=ids, weights=weights, count=rows, seed=1, workers=2)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE calls_call")
    return f"{rows / elapsed:,.0f} rows/s ({rows:,} rows in {elapsed:.0f} s, 2 workers)"


class Fixture:
    """Accounts, credentials and sample ids the scenarios use."""

    def __init__(self) -> None:
        from accounts.models import Account
        from accounts.services import account_rotate_auth_token, token_create
        from calls.models import Call

        big = Account.objects.filter(name__regex=r"^Seeded big account [0-9]+$").order_by("-pk")[0]
        counts = {}
        for account in Account.objects.filter(name__startswith="Seeded account").order_by("-pk")[
            :50
        ]:
            counts[account.pk] = account
        small = list(counts.values())[-1]
        self.big, self.small = big, small
        # Each account's calls are one product: ask each on its path (/Call/ is Voice).
        self.big_path, self.small_path = (self.path_of(a) for a in (big, small))
        self.big_token = account_rotate_auth_token(account=big)
        self.small_token = account_rotate_auth_token(account=small)
        self.bearer = token_create(account=big, scopes=["calls.read", "calls.read_descendant"],
                                   name="bench").secret  # fmt: skip
        recent = Call.objects.filter(account=big).order_by("-end_time").values_list(
            "call_uuid", "from_number_norm", "to_number_norm")[:200]  # fmt: skip
        self.uuids = [str(r[0]) for r in recent]
        self.from_number, self.to_number = recent[0][1], recent[0][2]

    @staticmethod
    def path_of(account) -> str:
        from calls.models import Call

        product = Call.objects.filter(account=account).values_list("product", flat=True).first()
        return f"/v1/Account/{account.auth_id}/{'Zentrunk/' if product == 'zentrunk' else ''}Call/"

    def basic(self, account, token) -> dict:
        raw = base64.b64encode(f"{account.auth_id}:{token}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}


def scenarios(fx: Fixture, now: datetime) -> list[tuple[str, list[tuple[str, dict]]]]:
    big = fx.basic(fx.big, fx.big_token)
    small = fx.basic(fx.small, fx.small_token)
    bearer = {"Authorization": f"Bearer {fx.bearer}"}
    base = fx.big_path
    day30 = (now - timedelta(days=29, hours=23)).strftime("%Y-%m-%d %H:%M")

    def plivo(**params):
        return [(base + ("?" + urlencode(params) if params else ""), big)]

    depth_sid = carrierx_sid_at_depth(bearer, 10_000)
    shallow_sid = carrierx_sid_at_depth(bearer, 10)
    first_pages, last_pages = day_walk(big, base, now)
    return [
        ("Plivo: default window, big account", plivo()),
        ("Plivo: default window, small account",
         [(fx.small_path, small)]),
        ("Plivo: 30-day window", plivo(end_time__gte=day30)),
        ("Plivo: from_number short prefix", plivo(from_number="1")),
        ("Plivo: from_number long prefix", plivo(from_number=fx.from_number[:-2])),
        ("Plivo: exact to_number", plivo(to_number=fx.to_number)),
        ("Plivo: direction + bill_duration range",
         plivo(call_direction="inbound", bill_duration__gte=60, bill_duration__lt=300)),
        ("Plivo: rare hangup cause, 30 days (worst case)",
         plivo(hangup_cause_code=2030, end_time__gte=day30)),
        ("Plivo: offset 0", plivo(offset=0)),
        ("Plivo: offset 1,000", plivo(offset=1000)),
        ("Plivo: offset 10,000", plivo(offset=10000)),
        ("Plivo: retrieve by uuid", [(f"{base}{u}/", big) for u in fx.uuids]),
        (f"Plivo: meta.next, pages 2-11 of the {PAGES[0]} of a day", first_pages),
        ("Plivo: meta.next, last 10 pages of that day", last_pages),
        ("CarrierX: after at depth 10", [(f"/core/v2/calls/call_drs?after={shallow_sid}",
                                          bearer)]),
        ("CarrierX: default list", [("/core/v2/calls/call_drs", bearer)]),
        ("CarrierX: filter=", [("/core/v2/calls/call_drs?" + urlencode(
            {"filter": "direction eq inbound and duration_billing ge 60"}), bearer)]),
        ("CarrierX: after at depth 10,000",
         [(f"/core/v2/calls/call_drs?after={depth_sid}", bearer)]),
        ("Textbook DRF: default window, big account",
         [("/textbook" + fx.big_path, big)]),
    ]  # fmt: skip


PAGES = [0]


def day_walk(headers: dict, base: str, now: datetime):
    """Follow meta.next through one whole day of the big account; return the first and
    the last ten page requests (cursor links), to compare their cost."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=headers["Authorization"])
    day = (now - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    url = (
        base
        + "?"
        + urlencode(
            {
                "end_time__gte": f"{day:%Y-%m-%d %H:%M}",
                "end_time__lt": f"{day + timedelta(days=1):%Y-%m-%d %H:%M}",
            }
        )
    )
    links = [url]
    while True:
        body = client.get(url).json()
        url = body["meta"]["next"]
        if not url:
            break
        links.append(url)
    PAGES[0] = len(links)
    pick = [(link, headers) for link in links]
    return pick[1:11], pick[-10:]


def carrierx_sid_at_depth(headers: dict, depth: int) -> str:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=headers["Authorization"])
    url, seen = "/core/v2/calls/call_drs?limit=1000&include_fields=dr_sid", 0
    while True:
        body = client.get(url).json()
        seen += len(body["items"])
        if seen >= depth or not body["has_more"]:
            return body["items"][-1]["dr_sid"]
        url = body["pagination"]["next"].replace("http://testserver", "")


def sql_floor(requests: list[tuple[str, dict]], runs: int = 7) -> float:
    """Median ms of running, directly, the SQL statements one request runs."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    path, headers = requests[0]
    client = Client(HTTP_AUTHORIZATION=headers["Authorization"])
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "cdrapi.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        # API-only workers: a statement past 500 ms is cut and answered 503 (the README's
        # advice; the admin's chart needs the longer default).
        cwd=ROOT, env={**os.environ, "DB_STATEMENT_TIMEOUT_MS": "500", "CDRAPI_COMMAND": "0"},
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def drive(port: int, requests, concurrency: int, duration: float) -> dict:
    job = {"base": f"http://127.0.0.1:{port}", "duration": duration,
           "concurrency": concurrency, "requests": requests}  # fmt: skip
    out = subprocess.run([PYTHON, str(ROOT / "bench" / "load.py")], input=json.dumps(job),
                         capture_output=True, text=True, check=True)  # fmt: skip
    result = json.loads(out.stdout)
    lat = sorted(result["latencies_ms"]) or [float("nan")]

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(len(lat) * p))]

    return {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "rps": len(result["latencies_ms"]) / result["elapsed"],
            "bad": sum(n for code, n in result["statuses"].items() if code != "200")
            + result["errors"]}  # fmt: skip


def worker_rss_mb(server: subprocess.Popen) -> list[float]:
    out = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
    sizes = []
    for pid in out.stdout.split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def import_speed(fx: Fixture) -> str:
    from django.db import connection

    from accounts.services import account_create
    from calls.bulk.imports import call_import
    from calls.models import Call
    from calls.plivo.serialize import COLUMNS, call_objects

    target = account_create(name="bench import target").account
    rows = list(Call.objects.filter(account=fx.big).values_list(*COLUMNS)[:100_000])
    import uuid

    objects = call_objects(rows, zone_name="UTC", base_uri="/")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        for obj in objects:
            obj["call_uuid"] = str(uuid.uuid4())
            handle.write(json.dumps(obj) + "\n")
    from calls.bulk.readers import read_jsonl

    start = time.perf_counter()
    with open(handle.name) as lines:
        summary = call_import(records=read_jsonl(lines), account=target)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cur:  # leave the benchmark data as it was
        cur.execute("DELETE FROM calls_call WHERE account_id = %s", [target.pk])
    os.unlink(handle.name)
    return f"{summary.stored / elapsed:,.0f} rows/s ({summary.stored:,} Plivo JSONL records)"


def purge_speed() -> str:
    """Purge the oldest day (dropping a partition if one falls wholly past the line),
    inside a transaction that is rolled back, so the data stays."""
    from django.db import transaction

    from calls.bulk.purge import call_purge

    class Rollback(Exception):
        pass

    result = {}
    try:
        with transaction.atomic():
            start = time.perf_counter()
            report = call_purge(now=datetime.now(UTC) + timedelta(days=1))
            result["elapsed"] = time.perf_counter() - start
            result["report"] = report
            raise Rollback
    except Rollback:
        pass
    report = result["report"]
    return (f"{result['elapsed']:.2f} s for one day ({report.rows:,} rows: "
            f"{len(report.partitions)} partition(s) dropped, {report.rows_deleted:,} deleted "
            "in batches; rolled back)")  # fmt: skip


def main() -> None:
    args = parse_args()
    setup_django(args.database_url)
    seeded = ensure_data(args.rows, args.accounts)
    print(f"seed: {seeded}", file=sys.stderr)
    from calls.models import Call

    fx = Fixture()
    now = datetime.now(UTC)
    cases = scenarios(fx, now)
    floors = {name: sql_floor(reqs) for name, reqs in cases}
    from django.db import connections

    connections.close_all()
    port = free_port()
    server = start_server(port)
    results = {}
    try:
        for name, reqs in cases:
            drive(port, reqs, 2, 1.0)  # warm up both workers
            results[name] = (drive(port, reqs, 1, args.duration),
                             drive(port, reqs, 8, args.duration))  # fmt: skip
            print(f"  done: {name}", file=sys.stderr)
        rss = worker_rss_mb(server)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    peer = results["Textbook DRF: default window, big account"][1]["rps"]
    print(
        f"\n{Call.objects.count():,} calls, {args.accounts} accounts; gunicorn, 2 sync "
        f"workers; {args.duration:g} s per run; latencies in ms\n"
    )
    print(
        "| scenario | c1 p50 | c1 p95 | c1 p99 | c8 p50 | c8 p95 | c8 p99 | c8 req/s | "
        "vs textbook | SQL floor | non-200 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, (one, eight) in results.items():
        print(
            f"| {name} | {one['p50']:.1f} | {one['p95']:.1f} | {one['p99']:.1f} | "
            f"{eight['p50']:.1f} | {eight['p95']:.1f} | {eight['p99']:.1f} | "
            f"{eight['rps']:.0f} | {eight['rps'] / peer:.1f}x | {floors[name]:.1f} | "
            f"{one['bad'] + eight['bad']} |"
        )
    print(f"\nseed: {seeded}")
    print(f"import: {import_speed(fx)}")
    print(f"purge: {purge_speed()}")
    print(f"worker RSS: {', '.join(f'{m:.0f} MB' for m in rss)}")


if __name__ == "__main__":
    main()
