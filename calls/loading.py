"""Writing many call rows fast: COPY on PostgreSQL, bulk inserts elsewhere."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, connection, transaction

from calls import partitions
from calls.models import Call

TABLE = Call._meta.db_table
STAGE = "calls_import_stage"


def end_range(rows: Sequence[tuple], end_at: int) -> tuple[datetime, datetime]:
    ends = [row[end_at] for row in rows]
    return min(ends), max(ends)


def copy_rows(rows: Sequence[tuple], columns: Sequence[str], *, table: str = TABLE) -> None:
    """COPY rows (tuples in `columns` order) into `table`; the caller owns the transaction."""
    cols = ", ".join(columns)
    # wrap_database_errors: psycopg's errors from the raw cursor become Django's.
    sql = f"COPY {table} ({cols}) FROM STDIN"
    with connection.wrap_database_errors, connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def insert_rows(rows: Sequence[tuple], columns: Sequence[str], *, skip_existing: bool) -> int:
    """Insert rows; return how many were stored.

    With `skip_existing`, rows whose (call_uuid, end_time) is already stored, or repeated
    within `rows`, are skipped rather than failing the batch (PostgreSQL: COPY into a
    temporary stage, then INSERT … ON CONFLICT DO NOTHING).
    """
    if not rows:
        return 0
    partitions.ensure_for_range(*end_range(rows, columns.index("end_time")))
    if connection.vendor == "postgresql":
        if not skip_existing:
            copy_rows(rows, columns)
            return len(rows)
        # Optimistic: a plain COPY is twice as fast as staging, and a first import has no
        # duplicates. Only a batch that hits one takes the staged path.
        try:
            with transaction.atomic():
                copy_rows(rows, columns)
            return len(rows)
        except IntegrityError:
            pass
        with connection.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE {TABLE} INCLUDING DEFAULTS) "
                "ON COMMIT DELETE ROWS"
            )
            cur.execute(f"TRUNCATE {STAGE}")
            copy_rows(rows, columns, table=STAGE)
            cols = ", ".join(columns)
            cur.execute(
                f"INSERT INTO {TABLE} ({cols}) SELECT {cols} FROM {STAGE} ON CONFLICT DO NOTHING"
            )
            return cur.rowcount
    return _bulk_create(rows, columns, skip_existing=skip_existing)


def _bulk_create(rows: Sequence[tuple], columns: Sequence[str], *, skip_existing: bool) -> int:
    objs, seen = [], set()
    uuid_at = columns.index("call_uuid")
    existing = set()
    if skip_existing:
        wanted = [row[uuid_at] for row in rows]
        existing = set(
            Call.objects.filter(call_uuid__in=wanted).values_list("call_uuid", flat=True)
        )
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        if values["call_uuid"] in existing or values["call_uuid"] in seen:
            continue
        seen.add(values["call_uuid"])
        if isinstance(values.get("user_data"), str):
            values["user_data"] = json.loads(values["user_data"])
        objs.append(Call(**values))
    Call.objects.bulk_create(objs, batch_size=500)
    return len(objs)


def chunk_stored(first_row: tuple, columns: Sequence[str]) -> bool:
    """Whether a chunk written atomically earlier is already there (its first row is)."""
    return Call.objects.filter(
        call_uuid=first_row[columns.index("call_uuid")],
        end_time=first_row[columns.index("end_time")],
    ).exists()
