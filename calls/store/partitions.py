"""PostgreSQL range partitions of the call table, by `end_time`.

Why weekly (CALLS_PARTITION_DAYS=7): planning cost grows with the partitions a query
touches; a 30-day window touches 5-6 weekly partitions but 31 daily ones (see
bench/partition_planning.py and docs/storage.md). Partitions are aligned on Mondays UTC
(epoch-aligned for other widths) so that every process computes the same bounds.

A DEFAULT partition catches any row whose week has no partition yet (far past, far
future), so an insert never fails for want of a partition. When a partition is later
created for a range that the default partition holds rows of, those rows are moved into
it in the same transaction.

Every partition carries the CHECK constraints the model declares (durations >= 0): the
parent has them, a partition built `LIKE` the parent `INCLUDING CONSTRAINTS` copies them,
and ATTACH refuses a table that lacks one. (Databases partitioned before 0007 had a parent
without them, hence partitions without them; `restore_checks` mends that.)

Every partition carries AUTOVACUUM, so that autovacuum visits it after each ~100k new
rows and the visibility map stays set: totals are index-only counts, which read the heap
for every page not marked all-visible (docs/performance.md, "The visibility map").

On other databases every function here is a no-op: the table is a plain table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from calls.store import locks

TABLE = "calls_call"
DEFAULT_PARTITION = f"{TABLE}_default"
_EPOCH_MONDAY = date(1970, 1, 5)
_LOCK_KEY = 0x43445250  # advisory lock: one partition writer at a time ("CDRP")
_ON_DEFAULT = re.compile(rf' ON (?:\S+\.)?"?{DEFAULT_PARTITION}"? ')
_BOUND_RE = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")
# Storage parameters of every partition (a partitioned parent takes none). PostgreSQL's
# insert-driven autovacuum waits for 1000 + 20% of a table's rows: millions of unmarked
# pages on a big weekly partition. With no scale factor it runs every 100k inserts, each
# pass reading only the pages not yet all-visible.
AUTOVACUUM = {
    "autovacuum_vacuum_insert_scale_factor": "0",
    "autovacuum_vacuum_insert_threshold": "100000",
}
_WITH = ", ".join(f"{name} = {value}" for name, value in AUTOVACUUM.items())


@dataclass(frozen=True, order=True)
class Partition:
    start: datetime
    end: datetime
    name: str


def enabled() -> bool:
    return connection.vendor == "postgresql"


def width() -> timedelta:
    return timedelta(days=settings.CALLS_PARTITION_DAYS)


def bounds_for(moment: datetime) -> tuple[datetime, datetime]:
    """The [start, end) of the partition that holds `moment` (UTC)."""
    days = settings.CALLS_PARTITION_DAYS
    day = moment.astimezone(UTC).date()
    index = (day - _EPOCH_MONDAY).days // days
    start_day = _EPOCH_MONDAY + timedelta(days=index * days)
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=UTC)
    return start, start + timedelta(days=days)


def name_for(start: datetime) -> str:
    return f"{TABLE}_p{start:%Y%m%d}"


def existing() -> list[Partition]:
    """The bounded partitions that exist now, oldest first (the default one excluded)."""
    if not enabled():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound in rows:
        match = _BOUND_RE.search(bound or "")
        if match:
            start, end = (datetime.fromisoformat(v).astimezone(UTC) for v in match.groups())
            found.append(Partition(start=start, end=end, name=name))
    return sorted(found)


def _missing(wanted: list[tuple[datetime, datetime]], have: list[Partition]):
    """The parts of each wanted range that no existing partition covers.

    Clipping to gaps (rather than assuming aligned bounds) keeps this correct when the
    partition width setting changes after partitions exist.
    """
    for start, end in wanted:
        cursor = start
        for part in have:
            if part.end <= cursor or part.start >= end:
                continue
            if part.start > cursor:
                yield cursor, part.start
            cursor = max(cursor, part.end)
        if cursor < end:
            yield cursor, end


def ensure(start: datetime, end: datetime) -> list[Partition]:
    """Create every partition needed to cover [start, end); return the ones created.

    Safe to run at any time, concurrently with traffic and with itself: an advisory lock
    serialises writers, a new partition is built empty and then ATTACHed, and rows already
    caught by the default partition move into it in the same transaction. ATTACH takes a
    SHARE UPDATE EXCLUSIVE lock on the parent (reads and inserts continue) but ACCESS
    EXCLUSIVE on the default partition, which every query that cannot prune it (a
    retrieve by uuid) reads: so each attempt waits at most calls.store.locks.LOCK_TIMEOUT_MS
    for its locks and is retried with backoff (LockBusy when it never gets them).
    """
    if not enabled():
        return []
    wanted = []
    cursor = bounds_for(start)[0]
    while cursor < end:
        wanted.append((cursor, cursor + width()))
        cursor += width()

    def attempt() -> list[Partition]:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        return [_create(lo, hi) for lo, hi in list(_missing(wanted, existing()))]

    return locks.with_lock_retries(attempt, what="creating partitions")


def _create(lo: datetime, hi: datetime) -> Partition:
    name = name_for(lo)
    with connection.cursor() as cur:
        cur.execute(
            f'CREATE TABLE "{name}" (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
            f"INCLUDING STORAGE) WITH ({_WITH})"
        )
        _copy_triggers(cur, name)  # before rows move in, so that they are counted
        # Rows that arrived before this partition existed sit in the default partition.
        cur.execute(
            f'WITH moved AS (DELETE FROM "{DEFAULT_PARTITION}" '
            "WHERE end_time >= %s AND end_time < %s RETURNING *) "
            f'INSERT INTO "{name}" SELECT * FROM moved',
            [lo, hi],
        )
        # DDL takes no bound parameters (server-side binding); the bounds are ours, not input.
        cur.execute(
            f'ALTER TABLE {TABLE} ATTACH PARTITION "{name}" '
            f"FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
        )
    return Partition(start=lo, end=hi, name=name)


def _copy_triggers(cur, name: str) -> None:
    """Give a new partition the statement triggers every partition carries (the hourly
    counts', calls/counting/hourly.py), copied from the default partition: statement
    triggers on the partitioned table do not fire for statements naming a partition.
    Row triggers are the parent's, cloned by ATTACH."""
    cur.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
        "AND NOT tgisinternal AND tgparentid = 0 ORDER BY tgname",
        [DEFAULT_PARTITION],
    )
    for (definition,) in cur.fetchall():
        # CREATE TRIGGER name <timing> <events> ON public.calls_call_default ...
        cur.execute(_ON_DEFAULT.sub(f' ON "{name}" ', definition, count=1))


def ensure_ahead(now: datetime | None = None, ahead_days: int | None = None) -> list[Partition]:
    """Partitions from the retention line up to `ahead_days` past today."""
    now = now or datetime.now(UTC)
    ahead = settings.CALLS_PARTITIONS_AHEAD_DAYS if ahead_days is None else ahead_days
    start = now - timedelta(days=settings.CALLS_RETENTION_DAYS)
    return ensure(start, now + timedelta(days=ahead + 1))


def tune_autovacuum() -> list[str]:
    """Give AUTOVACUUM to every partition that lacks it (made before it existed, or
    reset by hand); return their names. ALTER TABLE ... SET takes a SHARE UPDATE EXCLUSIVE
    lock, which reads and writes do not wait for; each waits at most LOCK_TIMEOUT_MS."""
    if not enabled():
        return []
    wanted = {f"{name}={value}" for name, value in AUTOVACUUM.items()}
    bounded = {part.name for part in existing()}  # the default partition holds strays only
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, coalesce(c.reloptions, '{}') FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        lacking = sorted(
            name
            for name, options in cur.fetchall()
            if name in bounded and not wanted <= set(options)
        )

    def tune(name: str) -> None:
        with connection.cursor() as cur:
            cur.execute(f'ALTER TABLE "{name}" SET ({_WITH})')

    for name in lacking:
        locks.with_lock_retries(lambda name=name: tune(name), what=f"tuning {name}")
    return lacking


def ensure_for_range(lo: datetime, hi: datetime, now: datetime | None = None) -> None:
    """Partitions for a batch of rows about to be written, clamped to a sane span.

    Rows outside [retention line, now + ahead] land in the default partition, so a stray
    timestamp in 1970 or 2999 cannot make us create thousands of partitions.
    """
    if not enabled():
        return
    now = now or datetime.now(UTC)
    floor = now - timedelta(days=settings.CALLS_RETENTION_DAYS)
    ceiling = now + timedelta(days=settings.CALLS_PARTITIONS_AHEAD_DAYS + 1)
    lo, hi = max(lo, floor), min(hi + timedelta(microseconds=1), ceiling)
    if lo < hi:
        ensure(lo, hi)


def partition_of_table_sql() -> list[str]:
    """SQL that turns the plain table made by CreateModel into a partitioned one.

    INCLUDING CONSTRAINTS carries CreateModel's CHECKs to the parent, and from it to every
    partition (without it, no partition ever had one: defect fixed by 0007).
    """
    return [
        f"ALTER TABLE {TABLE} RENAME TO {TABLE}_plain",
        f"CREATE TABLE {TABLE} (LIKE {TABLE}_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING STORAGE) PARTITION BY RANGE (end_time)",
        f'CREATE TABLE "{DEFAULT_PARTITION}" PARTITION OF {TABLE} DEFAULT',
        f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_plain",
        f"DROP TABLE {TABLE}_plain",
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (call_uuid, end_time)",
    ]


def restore_checks(model) -> list[str]:
    """Give the partitioned table every CHECK constraint `model` declares on its columns
    that it lacks or has not validated; return the names added.

    A CHECK on the parent reaches every partition, existing and future. It is added NOT
    VALID (a brief lock) and then validated in a transaction of its own, a scan that lets
    reads and writes go on; so call this outside a transaction. Stored rows that break
    one stop it with a message saying how to find them: deciding their fate is the
    operator's, not a migration's.
    """
    if not enabled():
        return []
    wanted = {
        f"{TABLE}_{field.column}_check": field.db_check(connection)
        for field in model._meta.concrete_fields
        if field.db_check(connection)
    }
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL lock_timeout = '10s'")
        cur.execute(
            "SELECT conname, convalidated FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'c'",
            [TABLE],
        )
        have = dict(cur.fetchall())
        added = [name for name in wanted if name not in have]
        for name in added:
            check = wanted[name]
            cur.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" CHECK ({check}) NOT VALID')
    for name, check in wanted.items():
        if have.get(name):
            continue
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SET LOCAL statement_timeout = 0")
                cur.execute(f'ALTER TABLE {TABLE} VALIDATE CONSTRAINT "{name}"')
        except IntegrityError:
            raise RuntimeError(
                f"Stored calls break {check}: list them with SELECT call_uuid, end_time FROM "
                f"{TABLE} WHERE NOT ({check}); correct or delete them, then migrate again."
            ) from None
    return added
