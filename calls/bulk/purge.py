"""Purge: drop calls past the retention line (purge_calls), whole partitions first, then
batched deletes, never holding a lock that API reads would queue behind for long.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection

from calls.bulk.progress import Progress
from calls.counting import hourly, remembered
from calls.models import Call
from calls.store import keys, locks, partitions


@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    partitions: list[tuple[str, int]] = field(default_factory=list)  # (name, rows)
    rows_deleted: int = 0
    remembered_forgotten: int = 0  # remembered filter counts (calls/counting/remembered.py)

    @property
    def rows(self) -> int:
        return self.rows_deleted + sum(n for _, n in self.partitions)


class PurgeRefused(ValueError):
    pass


def call_purge(
    *,
    older_than_days: int | None = None,
    dry_run: bool = False,
    batch_size: int = 10_000,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> PurgeReport:
    """Remove every call that ended before now - `older_than_days` (default
    CALLS_RETENTION_DAYS, the API's own line); report what went.

    Refuses a line inside the retention window (fewer than CALLS_RETENTION_DAYS): calls
    that the API may still return are never removed.
    """
    report = PurgeReport(cutoff=_cutoff(older_than_days, now), dry_run=dry_run)
    for _ in purge_steps(report, batch_size=batch_size, progress=progress):
        pass
    return report


def _cutoff(older_than_days: int | None, now: datetime | None) -> datetime:
    if older_than_days is None:
        older_than_days = settings.CALLS_RETENTION_DAYS
    if older_than_days < settings.CALLS_RETENTION_DAYS:
        raise PurgeRefused(
            f"--older-than-days must be at least {settings.CALLS_RETENTION_DAYS}: calls "
            "inside the retention window are still served."
        )
    return (now or datetime.now(UTC)) - timedelta(days=older_than_days)


def purge_steps(
    report: PurgeReport, *, batch_size: int, progress: Progress | None = None
) -> Iterator[str]:
    """The purge as a sequence of atomic steps, yielding after each.

    Every step commits on its own and only ever touches rows older than the cutoff, so
    stopping between any two steps (or killing the process inside one) and running the
    purge again ends in the same state as one uninterrupted run. The hourly counts stay
    exact throughout: a detached partition's hours are forgotten in the transaction that
    detaches it, batch deletes are counted by the partitions' triggers, and the last step
    drops every count of an hour before the line.
    """
    cutoff = report.cutoff
    if partitions.enabled():
        for name in _leftover_detached():  # a previous run stopped between detach and drop
            if not report.dry_run:
                _execute(f'DROP TABLE IF EXISTS "{name}"')
            yield f"dropped leftover {name}"
        for part in partitions.existing():
            if part.end > cutoff:
                continue
            if report.dry_run:
                report.partitions.append((part.name, _count(f'SELECT count(*) FROM "{part.name}"')))
                continue
            doomed = f"{partitions.TABLE}_purge_{part.name.rsplit('_', 1)[-1]}"
            locks.with_lock_retries(
                functools.partial(_detach, part, doomed), what=f"detaching {part.name}"
            )
            yield f"detached {part.name}"
            # Counted once detached: the API no longer reads it, nothing waits on it.
            rows = _count(f'SELECT count(*) FROM "{doomed}"')
            _execute(f'DROP TABLE "{doomed}"')
            report.partitions.append((part.name, rows))
            if progress:
                progress(rows)
            yield f"dropped {part.name}"
        # The partition that straddles the line, and the default partition.
        tables = [p.name for p in partitions.existing() if p.start < cutoff < p.end]
        tables.append(partitions.DEFAULT_PARTITION)
        for table in tables:
            yield from _delete_in_batches(report, table, batch_size, progress)
        if not report.dry_run:
            # Nothing is left of the hours before the line: forget them (this also clears
            # what a hand-made DETACH, or a purge before migration 0006, left behind).
            yield f"trimmed {hourly.trim(cutoff)} hour counts"
            # The remembered counts of those hours, and of filters nobody asks for any
            # more: bounded statements through the memo's key, each its own step.
            for gone in remembered.forget_steps(cutoff, settings.COUNT_MEMO_UNUSED_DAYS):
                report.remembered_forgotten += gone
                yield f"forgot {gone} remembered filter counts"
    else:
        yield from _delete_in_batches(report, Call._meta.db_table, batch_size, progress)


def _detach(part: partitions.Partition, doomed: str) -> None:
    """Detach a partition, rename it for the drop, and forget its hours, atomically."""
    _execute(f'ALTER TABLE {partitions.TABLE} DETACH PARTITION "{part.name}"')
    _execute(f'ALTER TABLE "{part.name}" RENAME TO "{doomed}"')
    hourly.forget(part.start, part.end)
    _execute(keys.forget_sql(f'"{doomed}"'))  # keys go with their calls


def _delete_in_batches(report, table, batch_size, progress) -> Iterator[str]:
    if report.dry_run:
        if connection.vendor == "postgresql":
            sql = f'SELECT count(*) FROM "{table}" WHERE end_time < %s'
            report.rows_deleted += _count(sql, [report.cutoff])
        else:
            report.rows_deleted += Call.objects.filter(end_time__lt=report.cutoff).count()
        return
    while True:
        if connection.vendor == "postgresql":
            # Bounded: at most batch_size rows per statement, chosen by the partition key;
            # their keys go in the same statement (no trigger fires on a partition).
            deleted = _count(
                f'WITH gone AS (DELETE FROM "{table}" WHERE ctid = ANY(ARRAY('
                f'SELECT ctid FROM "{table}" WHERE end_time < %s LIMIT %s)) '
                f"RETURNING call_uuid, end_time), forgot AS ({keys.forget_sql('gone')}) "
                "SELECT count(*) FROM gone",
                [report.cutoff, batch_size],
            )
        else:
            pks = list(
                Call.objects.filter(end_time__lt=report.cutoff).values_list("pk", flat=True)[
                    :batch_size
                ]
            )
            deleted = Call.objects.filter(pk__in=pks).delete()[0] if pks else 0
        if not deleted:
            return
        report.rows_deleted += deleted
        if progress:
            progress(deleted)
        yield f"deleted {deleted} rows from {table}"


def _leftover_detached() -> list[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s",
            [f"{partitions.TABLE}\\_purge\\_%"],
        )
        return [row[0] for row in cur.fetchall()]


def _execute(sql: str, params: list | None = None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def _count(sql: str, params: list | None = None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]
