"""The benchmark's data and write speeds: growing the table, seed against a plain COPY,
import, purge.

The table grows in steps (1M, 3M, 10M, optionally 30M) so the same table is measured at
each size. After each step it is vacuumed: COPY leaves the visibility map unset, and the
index-only counts (migration 0009) read the heap for every page the map does not mark
all-visible; in production autovacuum does this (docs/performance.md).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

SEED_WORKERS = 2
PROFILE = 1  # every step's calls are the same customers' (products, numbers, trunks)


def estimate_rows() -> int:
    """The planner's row estimate (counting 10M rows takes seconds)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT coalesce(sum(c.reltuples), 0)::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'calls_call'::regclass"
            " AND c.reltuples > 0"
        )
        return int(cur.fetchone()[0])


def accounts(count: int) -> tuple[list[int], list[float]]:
    from calls.bulk.seed import seed_accounts

    return seed_accounts(count=count, seed=1)


def truncate() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE calls_call")


def forget_remembered_counts() -> None:
    """Forget every remembered filter count and every ask (calls/counting/remembered.py):
    a scenario's next request is a first ask, as in production."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE calls_count_memo, calls_count_filter")


def grow(ids: list[int], weights: list[float], rows: int, step: int) -> float:
    """Add `rows` calls (seed `step`: new uuids, the same accounts and 90 days); vacuum;
    return rows/s of the seed alone."""
    from calls.bulk.seed import call_seed

    start = time.perf_counter()
    call_seed(account_ids=ids, weights=weights, count=rows, seed=step, profile_seed=PROFILE,
              workers=SEED_WORKERS, now=_today())  # fmt: skip
    elapsed = time.perf_counter() - start
    vacuum()
    return rows / elapsed


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE calls_call")
        cur.execute("VACUUM ANALYZE calls_hour_count")


def _today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def seed_against_copy(ids: list[int], weights: list[float], rows: int = 200_000) -> dict:
    """Seed `rows` new calls, and COPY the very same rows (made beforehand, already in COPY
    text) into the same indexed table, with its triggers, in one session: the server's
    ceiling. The COPY is rolled back; the seeded rows are deleted afterwards."""
    from django.db import connection, transaction

    from calls.bulk.synthetic import COLUMNS, CallGenerator
    from calls.store import partitions

    now = _today()
    generator = CallGenerator(account_ids=ids, weights=weights, seed=990, now=now,
                              profile_seed=PROFILE)  # fmt: skip
    made = list(generator.rows(rows))
    partitions.ensure_for_range(now - timedelta(days=90), now)
    buffer = io.BytesIO()
    sql = f"COPY calls_call ({', '.join(COLUMNS)}) FROM STDIN"
    with transaction.atomic():
        with connection.cursor() as cur:  # the rows in COPY text, made untimed
            cur.execute("CREATE TEMP TABLE bench_format (LIKE calls_call)")
            with cur.cursor.copy(f"COPY bench_format ({', '.join(COLUMNS)}) FROM STDIN") as cp:
                for row in made:
                    cp.write_row(row)
            with cur.cursor.copy(
                f"COPY bench_format ({', '.join(COLUMNS)}) TO STDOUT"
            ) as cp:  # fmt: skip
                for block in cp:
                    buffer.write(block)
            cur.execute("DROP TABLE bench_format")
        sid = transaction.savepoint()
        start = time.perf_counter()
        with connection.cursor() as cur, cur.cursor.copy(sql) as cp:
            data = buffer.getvalue()
            for at in range(0, len(data), 1 << 20):
                cp.write(data[at : at + (1 << 20)])
        copy_elapsed = time.perf_counter() - start
        transaction.savepoint_rollback(sid)
        index_cost = number_index_cost(buffer.getvalue())
    from calls.bulk.seed import call_seed

    start = time.perf_counter()
    call_seed(account_ids=ids, weights=weights, count=rows, seed=990, profile_seed=PROFILE,
              workers=SEED_WORKERS, now=now)  # fmt: skip
    seed_elapsed = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("DELETE FROM calls_call WHERE call_uuid = ANY(%s)", [[r[0] for r in made]])
    vacuum()
    return {"rows": rows, "copy": rows / copy_elapsed, "seed": rows / seed_elapsed,
            **index_cost}  # fmt: skip


_OLD_NUMBER_INDEX = ("CREATE INDEX ON {table} (account_id, {column} varchar_pattern_ops, "
                     "end_time)")  # fmt: skip


def number_index_cost(copy_text: bytes) -> dict:
    """COPY rows/s of the same rows into two empty tables with the call table's indexes,
    one with the number indexes as they are (INCLUDE product, migration 0013) and one as
    they were: what covering the product costs a write, measured in the same run (each
    COPY twice, alternating; the better of the two). Inside the caller's transaction."""
    from django.db import connection

    from calls.bulk.synthetic import COLUMNS

    with connection.cursor() as cur:
        for table in ("bench_idx_now", "bench_idx_before"):
            cur.execute(f"CREATE TEMP TABLE {table} (LIKE calls_call INCLUDING INDEXES)")
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'bench_idx_before' "
            "AND indexdef LIKE '%%INCLUDE (product)'"
        )
        for (name,) in cur.fetchall():
            cur.execute(f'DROP INDEX "{name}"')
        for column in ("from_number_norm", "to_number_norm"):
            cur.execute(_OLD_NUMBER_INDEX.format(table="bench_idx_before", column=column))
        best = {"bench_idx_now": 0.0, "bench_idx_before": 0.0}
        for _ in range(2):
            for table in best:
                cur.execute(f"TRUNCATE {table}")
                start = time.perf_counter()
                with cur.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as cp:
                    for at in range(0, len(copy_text), 1 << 20):
                        cp.write(copy_text[at : at + (1 << 20)])
                rate = copy_text.count(b"\n") / (time.perf_counter() - start)
                best[table] = max(best[table], rate)
        cur.execute("DROP TABLE bench_idx_now, bench_idx_before")
    return {"copy_number_idx_now": best["bench_idx_now"],
            "copy_number_idx_before": best["bench_idx_before"]}  # fmt: skip


def import_speed(account, rows: int = 100_000) -> dict:
    """Import `rows` Plivo JSONL records (the big account's calls under new uuids) into a
    fresh account, against a plain COPY of the very same rows, parsed, priced and in COPY
    binary beforehand, into the same table with its triggers, in one session (rolled back):
    the server's ceiling for those rows, measured in the same run (issue 26: import at
    >= 70% of it). The imported calls are deleted afterwards."""
    from django.db import connection

    from accounts.services import account_create
    from calls.bulk.imports import call_import
    from calls.bulk.readers import read_jsonl
    from calls.models import Call
    from calls.plivo.serialize import COLUMNS, call_objects

    target = account_create(name="bench import target").account
    found = list(Call.objects.filter(account=account).values_list(*COLUMNS)[:rows])
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        for obj in call_objects(found, zone_name="UTC", base_uri="/"):
            obj["call_uuid"] = str(uuid.uuid4())
            handle.write(json.dumps(obj) + "\n")
    with open(handle.name) as lines:
        copy_rate = _copy_parsed(read_jsonl(lines), target)
    start = time.perf_counter()
    with open(handle.name) as lines:
        summary = call_import(records=read_jsonl(lines), account=target)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cur:  # leave the benchmark data as it was
        cur.execute("DELETE FROM calls_call WHERE account_id = %s", [target.pk])
    os.unlink(handle.name)
    return {"rows": summary.stored, "rate": summary.stored / elapsed, "copy": copy_rate}


def _copy_parsed(records, target) -> float:
    """rows/s of a plain binary COPY of `records` as import_calls would store them (parsed
    and priced beforehand, untimed; other call_uuids), into calls_call, rolled back."""
    from django.db import connection, transaction

    from calls.rating.pricing import price_rows
    from calls.writing.loading import copy_rows
    from calls.writing.records import parse_records

    # A call past retention (the bench data spans 90 days) is refused by both.
    parsed = [v for _, v in parse_records(records, account=target) if isinstance(v, dict)]
    price_rows(parsed)
    for values in parsed:  # the rolled-back keys would be dead index entries the import meets
        values["call_uuid"] = uuid.uuid4()
    columns = list(parsed[0])
    cols = ", ".join(columns)
    buffer = io.BytesIO()
    with transaction.atomic():
        with connection.cursor() as cur:  # the rows in COPY binary, made untimed
            cur.execute("CREATE TEMP TABLE bench_format (LIKE calls_call)")
            copy_rows([tuple(v.values()) for v in parsed], columns, table="bench_format",
                      binary=True)  # fmt: skip
            with cur.cursor.copy(f"COPY bench_format ({cols}) TO STDOUT (FORMAT BINARY)") as cp:
                for block in cp:
                    buffer.write(block)
            cur.execute("DROP TABLE bench_format")
        sid = transaction.savepoint()
        data = buffer.getvalue()
        start = time.perf_counter()
        sql = f"COPY calls_call ({cols}) FROM STDIN (FORMAT BINARY)"
        with connection.cursor() as cur, cur.cursor.copy(sql) as cp:
            for at in range(0, len(data), 1 << 20):
                cp.write(data[at : at + (1 << 20)])
        elapsed = time.perf_counter() - start
        transaction.savepoint_rollback(sid)
    return len(parsed) / elapsed


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
