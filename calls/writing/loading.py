"""Writing many call rows fast: COPY on PostgreSQL, bulk inserts elsewhere."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Collection, Sequence
from contextlib import nullcontext
from datetime import datetime

from django.db import IntegrityError, OperationalError, connection, transaction
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format

from calls.models import Call
from calls.store import keys, partitions
from calls.worker_cache import WorkerCache

TABLE = Call._meta.db_table
STAGE = "calls_import_stage"


def end_range(rows: Sequence[tuple], end_at: int) -> tuple[datetime, datetime]:
    ends = [row[end_at] for row in rows]
    return min(ends), max(ends)


def copy_rows(
    rows: Sequence[tuple], columns: Sequence[str], *, table: str = TABLE, binary: bool = False
) -> None:
    """COPY rows (tuples in `columns` order) into `table`; the caller owns the transaction.

    `binary`: in PostgreSQL's binary format, for rows of Python values (parsed records):
    psycopg dumps a UUID, a timestamp or a Decimal to bytes about twice as fast as to COPY
    text. The seeder's rows hold numbers already written as text, so they go as text.
    `table` is calls_call or a table LIKE it (the import's stage).
    """
    cols = ", ".join(columns)
    # wrap_database_errors: psycopg's errors from the raw cursor become Django's.
    sql = f"COPY {table} ({cols}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
    with connection.wrap_database_errors, connection.cursor() as cur:
        if binary:
            cur.cursor.adapters.register_dumper(_JsonText, _JsonTextDumper)
        with cur.cursor.copy(sql) as copy:
            if binary:
                copy.set_types(_type_oids(tuple(columns)))
            for row in rows:
                copy.write_row(row)


class _JsonText:
    """Never instantiated: registering a dumper needs a class, the dumper is chosen by oid."""


class _JsonTextDumper(Dumper):
    """user_data arrives as JSON text (the parsers encode it) or, from the seeder, as an
    object; psycopg's own jsonb dumper would encode the text once more, as a JSON string."""

    oid = postgres.types["jsonb"].oid
    format = Format.BINARY

    def dump(self, obj: object) -> bytes:
        text = obj if isinstance(obj, str) else json.dumps(obj)
        return b"\x01" + text.encode()  # jsonb's binary format: version 1, then the text


@functools.cache
def _type_oids(columns: tuple[str, ...]) -> list[int]:
    """Each column's PostgreSQL type, which binary COPY needs up front (built-in types, whose
    oids are the same on every server)."""
    fields = {field.column: field for field in Call._meta.concrete_fields}
    return [postgres.types[fields[name].db_type(connection).split("(")[0]].oid for name in columns]


def insert_rows(rows: Sequence[tuple], columns: Sequence[str], *, skip_existing: bool) -> int:
    """Insert rows; return how many were stored.

    A call_uuid is stored once, whatever its end_time (docs/operations.md, "Duplicates"). Without
    `skip_existing` a call already stored fails the batch (the seed, which makes new
    uuids). With it, a row whose call_uuid is already stored, or came earlier in `rows`,
    is skipped: the first one stored wins.
    """
    if not rows:
        return 0
    if skip_existing:
        return len(insert_new_rows(rows, columns))
    ensure_partitions(rows, columns)
    if connection.vendor == "postgresql":
        copy_rows(rows, columns)
        return len(rows)
    return len(_bulk_create(rows, columns, skip_existing=False))


def insert_new_rows(rows: Sequence[tuple], columns: Sequence[str]) -> set:
    """Insert the rows whose call_uuid is not stored yet; return the call_uuids stored.

    What `insert_rows(skip_existing=True)` does, telling which rows were new, so that live
    ingestion can answer stored or duplicate per record. The first row of a call_uuid
    repeated within `rows` wins. Atomic: committed on return unless the caller holds a
    transaction.
    """
    if not rows:
        return set()
    uuid_at, end_at = columns.index("call_uuid"), columns.index("end_time")
    firsts = {}
    for row in rows:
        firsts.setdefault(row[uuid_at], row)
    # One order for every writer, so writers of the same calls never wait in a cycle: the
    # primary key (call_uuid, end_time) is met in (end_time, call_uuid) order, a total
    # order of its keys; the key table is written in call_uuid order by its own trigger
    # (calls/store/keys.py). End time first: the time-ordered indexes and the partitions
    # take a batch's rows in their own order, where call_uuid order scattered them over
    # every index page of the batch's hours (docs/performance.md, "Import at the server's
    # pace": 30-45% more rows/s).
    rows = sorted(firsts.values(), key=lambda row: (row[end_at], row[uuid_at].int))
    ensure_partitions(rows, columns)
    if connection.vendor != "postgresql":
        with transaction.atomic():
            return _bulk_create(rows, columns, skip_existing=True)
    if len(rows) <= SMALL_WRITE:
        stored = _insert_values(rows, columns)
        if stored is not None:
            return stored
    with transaction.atomic():
        # Optimistic: a plain COPY is twice as fast as staging, and a first import has no
        # duplicates. Only a batch that hits one (or a concurrent writer) is staged.
        try:
            with transaction.atomic():
                copy_rows(rows, columns, binary=True)
            return set(firsts)
        except (IntegrityError, OperationalError) as exc:
            if not _conflict(exc):
                raise
        return _insert_new(rows, columns)


# A live post's rows (a CDR, a Kamailio batch): one INSERT statement, its own transaction
# outside one, is one round trip where BEGIN, SAVEPOINT, COPY and COMMIT are five.
SMALL_WRITE = 50


def _insert_values(rows: Sequence[tuple], columns: Sequence[str]) -> set | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING the new call_uuids (PostgreSQL), a call
    already stored with the same end_time being skipped; None when the key table refused
    the statement (the call is stored with another end_time, or a concurrent writer
    stored it): nothing was written, and the staged path sorts it out."""
    cols = ", ".join(columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO {TABLE} ({cols}) VALUES {', '.join([one] * len(rows))} "
        "ON CONFLICT DO NOTHING RETURNING call_uuid"
    )
    params = [value for row in rows for value in row]
    # Inside a transaction, a savepoint keeps a refused statement from aborting it.
    scope = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with scope, connection.cursor() as cur:
            cur.execute(sql, params)
            return {row[0] for row in cur.fetchall()}
    except (IntegrityError, OperationalError) as exc:
        if not _conflict(exc):
            raise
        return None


# Partition starts this process saw exist lately: a write of rows whose end times all
# fall in them skips partitions.ensure, whose advisory lock would serialise every writer
# (one live POST after another) until its transaction ends.
KNOWN_PARTITION_SECONDS = 300
_known_partitions: WorkerCache[datetime, bool] = WorkerCache(
    1024, lifetime=lambda: KNOWN_PARTITION_SECONDS
)


def ensure_partitions(rows: Sequence[tuple], columns: Sequence[str]) -> None:
    """The partitions for `rows`' end times, checked once a few minutes per process."""
    if not partitions.enabled():
        return
    lo, hi = end_range(rows, columns.index("end_time"))
    first, last = partitions.bounds_for(lo)[0], partitions.bounds_for(hi)[0]
    fresh = all(_known_partitions.get(start) for start in {first, last})
    if fresh and last - first <= partitions.width():
        return
    partitions.ensure_for_range(lo, hi)

    def remember() -> None:
        for start in {first, last}:
            _known_partitions.put(start, True)

    # Only once the partitions are committed: a rolled-back creation is not "known".
    transaction.on_commit(remember)


def _insert_new(rows: Sequence[tuple], columns: Sequence[str], attempts: int = 10) -> set:
    """Store the rows whose call_uuid is not stored yet (PostgreSQL); return their uuids.

    COPY into a temporary stage, then insert the stage's calls that the key table does not
    know. A concurrent writer of the same calls makes that fail on the key (or deadlock);
    each failure waited for that writer to finish, so a retry (from a savepoint) skips
    what it stored: two importers of the same calls store each once.
    """
    cols = ", ".join(columns)
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE {TABLE} INCLUDING DEFAULTS) "
            "ON COMMIT DELETE ROWS"
        )
        cur.execute(f"TRUNCATE {STAGE}")
        copy_rows(rows, columns, table=STAGE, binary=True)
        attempt = 1
        while True:
            try:
                with transaction.atomic():
                    cur.execute(
                        f"INSERT INTO {TABLE} ({cols}) SELECT {cols} FROM {STAGE} s "
                        f"WHERE NOT EXISTS (SELECT FROM {keys.TABLE} k "
                        "WHERE k.call_uuid = s.call_uuid) ORDER BY call_uuid "
                        "ON CONFLICT DO NOTHING RETURNING call_uuid"
                    )
                    return {row[0] for row in cur.fetchall()}
            except (IntegrityError, OperationalError) as exc:
                if not _conflict(exc) or attempt == attempts:
                    raise
                attempt += 1


def _conflict(exc: IntegrityError | OperationalError) -> bool:
    """A unique violation or a deadlock: what a concurrent writer of the same calls causes."""
    return getattr(exc.__cause__, "sqlstate", None) in {"23505", "40P01"}


def _bulk_create(rows: Sequence[tuple], columns: Sequence[str], *, skip_existing: bool) -> set:
    objs = []
    uuid_at = columns.index("call_uuid")
    existing = set()
    if skip_existing:
        wanted = [row[uuid_at] for row in rows]
        existing = set(
            Call.objects.filter(call_uuid__in=wanted).values_list("call_uuid", flat=True)
        )
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        if values["call_uuid"] in existing:
            continue
        if isinstance(values.get("user_data"), str):
            values["user_data"] = json.loads(values["user_data"])
        objs.append(Call(**values))
    Call.objects.bulk_create(objs, batch_size=500)
    return {obj.call_uuid for obj in objs}


def owners(call_uuids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The account_id of each stored call among `call_uuids` (those not stored are left out).

    What tells a row that was not stored a duplicate of its own account's call from a
    collision with another account's. One query: on PostgreSQL each uuid's end_time from
    the key table, then the one partition that holds it (the executor prunes the others
    per key), never a probe of every partition; on SQLite the primary key.
    """
    if not call_uuids:
        return {}
    if connection.vendor != "postgresql":
        found = Call.objects.filter(call_uuid__in=list(call_uuids))
        return dict(found.values_list("call_uuid", "account_id"))
    # A subquery per key, not a join: a join's plan may hash every partition's rows.
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT k.call_uuid, (SELECT c.account_id FROM {TABLE} c "
            "WHERE c.call_uuid = k.call_uuid AND c.end_time = k.end_time) "
            f"FROM {keys.TABLE} k WHERE k.call_uuid = ANY(%s)",
            [list(call_uuids)],
        )
        return {call_uuid: owner for call_uuid, owner in cur.fetchall() if owner is not None}


def chunk_stored(first_row: tuple, columns: Sequence[str]) -> bool:
    """Whether a chunk written atomically earlier is already there (its first row is)."""
    return Call.objects.filter(
        call_uuid=first_row[columns.index("call_uuid")],
        end_time=first_row[columns.index("end_time")],
    ).exists()
