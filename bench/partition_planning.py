"""Planning cost of the contract's queries by partition width (daily, weekly, monthly).

Builds scratch copies of the call table partitioned at each width over 100 days (empty:
planning time does not depend on rows), then times EXPLAIN's planning phase for a 7-day
and a 30-day window of one account, and for a retrieve by uuid (no end_time bound, so
every partition is touched). Prints one table. Needs DATABASE_URL on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1/cdrapi_bench \
        .venv/bin/python bench/partition_planning.py
"""

import os
import re
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdrapi.settings")
os.environ.setdefault("SECRET_KEY", "bench")

import django

django.setup()
from django.db import connection  # noqa: E402

WIDTHS = {"daily": 1, "weekly": 7, "monthly": 30}
RUNS = 200
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
QUERIES = {
    "7-day window": (NOW - timedelta(days=7), NOW),
    "30-day window": (NOW - timedelta(days=30), NOW),
}
_PLANNING = re.compile(r"Planning Time: ([0-9.]+) ms")


def build(cur, name: str, days: int) -> int:
    cur.execute(f"DROP TABLE IF EXISTS {name} CASCADE")
    cur.execute(
        f"CREATE TABLE {name} (LIKE calls_call INCLUDING ALL) PARTITION BY RANGE (end_time)"
    )
    start = NOW - timedelta(days=100)
    count = 0
    while start < NOW + timedelta(days=28):
        end = start + timedelta(days=days)
        cur.execute(
            f"CREATE TABLE {name}_{count} PARTITION OF {name} FOR VALUES FROM (%s) TO (%s)",
            [start, end],
        )
        start, count = end, count + 1
    cur.execute(f"ANALYZE {name}")
    return count


def planning_ms(cur, sql: str, params: list) -> float:
    samples = []
    for _ in range(RUNS):
        cur.execute("EXPLAIN (SUMMARY ON) " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
        samples.append(float(_PLANNING.search(plan).group(1)))
    return statistics.median(samples)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Needs PostgreSQL: set DATABASE_URL.")
    rows = []
    with connection.cursor() as cur:
        for label, days in WIDTHS.items():
            table = f"bench_plan_{label}"
            parts = build(cur, table, days)
            cells = [label, str(parts)]
            for lo, hi in QUERIES.values():
                sql = (
                    f"SELECT call_uuid FROM {table} WHERE account_id = %s AND end_time >= %s "
                    "AND end_time <= %s ORDER BY end_time DESC, call_uuid DESC LIMIT 20"
                )
                cells.append(f"{planning_ms(cur, sql, [1, lo, hi]):.2f}")
            sql = f"SELECT call_uuid FROM {table} WHERE call_uuid = %s AND end_time >= %s"
            params = ["00000000-0000-4000-8000-000000000000", NOW - timedelta(days=90)]
            cells.append(f"{planning_ms(cur, sql, params):.2f}")
            rows.append(cells)
            cur.execute(f"DROP TABLE {table} CASCADE")
    header = ["width", "partitions", *[f"{q} (ms)" for q in QUERIES], "retrieve by uuid (ms)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    print(f"\nmedian planning time of {RUNS} EXPLAINs each, PostgreSQL, on this machine")


if __name__ == "__main__":
    main()
