"""Writes that touch many call rows: seed, import, purge.

Management commands and the admin are thin wrappers over these functions. Each works in
bounded atomic batches, so it can be interrupted at any moment and run again.
"""

from __future__ import annotations

import functools
import multiprocessing
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from accounts.models import Account
from accounts.services import account_create
from calls import counts, keys, loading, locks, partitions, seed_worker
from calls.importing import RecordError, parse_records
from calls.models import Call
from calls.synthetic import CHUNK, COLUMNS, CallGenerator

Progress = Callable[[int], None]


# --- seed ---------------------------------------------------------------------------------
def seed_accounts(*, count: int, seed: int = 0) -> tuple[list[int], list[float]]:
    """Create `count` accounts with a skewed share of traffic; return (ids, weights).

    The first is a main account whose tree (itself and up to 5 subaccounts, about a tenth
    of `count`) carries ~30% of calls; the rest share 70% by a Zipf law, as real customer
    bases do.
    """
    rng = random.Random(f"{seed}-accounts")
    big = _seeded_account(f"Seeded big account {seed}", None)
    subs = [
        _seeded_account(f"Seeded big account {seed} sub {i}", big)
        for i in range(min(5, max(0, count // 10)))
    ]
    others = [
        _seeded_account(f"Seeded account {seed}-{i}", None) for i in range(count - 1 - len(subs))
    ]
    ids = [big.pk] + [s.pk for s in subs] + [o.pk for o in others]
    tree_share = [0.20] + [0.10 / len(subs)] * len(subs) if subs else [0.30]
    zipf = [1 / (rank + 1) for rank in range(len(others))]
    rng.shuffle(zipf)
    total = sum(zipf) or 1.0
    weights = tree_share + [0.70 * z / total for z in zipf]
    return ids, weights


def _seeded_account(name: str, parent: Account | None) -> Account:
    """The seeded account of that name, created the first time: re-runs reuse them."""
    found = Account.objects.filter(name=name, parent=parent).first()
    return found or account_create(name=name, parent=parent).account


def call_seed(
    *,
    account_ids: list[int],
    weights: list[float] | None = None,
    count: int,
    days: int = 90,
    seed: int = 0,
    batch_size: int = CHUNK,
    workers: int = 1,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Store `count` synthetic calls; return how many this run wrote.

    Deterministic for the same arguments (including `now`, which defaults to the start
    of the current UTC day so that a re-run on the same day resumes instead of
    duplicating). Each chunk is one transaction; a chunk already stored is skipped.
    With `workers` > 1 (PostgreSQL), chunks are made and COPYed by that many processes.
    """
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    generator = CallGenerator(
        account_ids=account_ids, weights=weights, days=days, seed=seed, now=now
    )
    chunks = max(1, -(-count // batch_size))
    sizes = [min(batch_size, count - index * batch_size) for index in range(chunks)]
    partitions.ensure_for_range(now - timedelta(days=days), now)
    jobs = [(index, size, chunks) for index, size in enumerate(sizes)]
    written = 0
    # Workers commit on their own connections, so only outside a transaction.
    if workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        context = multiprocessing.get_context("spawn")
        init_args = (generator, connection.settings_dict["NAME"])
        with context.Pool(workers, seed_worker.init, init_args) as pool:
            for stored, size in pool.imap_unordered(seed_worker.seed_chunk, jobs):
                written += stored
                if progress:
                    progress(size)
    else:
        for job in jobs:
            stored, size = seed_chunk(generator, *job)
            written += stored
            if progress:
                progress(size)
    return written


def seed_chunk(generator: CallGenerator, index: int, size: int, chunks: int) -> tuple[int, int]:
    """Store one chunk unless it is already there; return (rows written, chunk size)."""
    if loading.chunk_stored(generator.first_row(index, chunks), COLUMNS):
        return 0, size
    rows = generator.chunk(index, size, chunks)
    with transaction.atomic():
        loading.insert_rows(rows, COLUMNS, skip_existing=False)
    return len(rows), size


# --- import -------------------------------------------------------------------------------
@dataclass
class ImportSummary:
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"read {self.read}, stored {self.stored}, duplicates {self.duplicates}, "
            f"rejected {self.rejected}"
        )


class StrictImportError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def call_import(
    *,
    records: Iterable[tuple[int, dict]],
    account: Account | None = None,
    strict: bool = False,
    batch_size: int = 5000,
    progress: Progress | None = None,
    on_reject: Callable[[int, str], None] | None = None,
) -> ImportSummary:
    """Import (line number, record) pairs in Plivo or CarrierX field names.

    A bad record is reported and skipped; with `strict` the first one aborts the whole
    import and nothing is stored (one transaction). Re-importing stores nothing twice.
    Memory stays constant: records stream through batches of `batch_size`.
    """
    summary = ImportSummary()
    rows = parse_records(records, account=account)

    def run() -> None:
        batch: list[dict] = []
        for line, parsed in rows:
            summary.read += 1
            if isinstance(parsed, RecordError):
                if strict:
                    raise StrictImportError(line, str(parsed))
                summary.rejected += 1
                if len(summary.errors) < 1000:
                    summary.errors.append((line, str(parsed)))
                if on_reject:
                    on_reject(line, str(parsed))
            else:
                batch.append(parsed)
            if len(batch) >= batch_size:
                _store(batch)
                batch = []
        _store(batch)

    def _store(batch: list[dict]) -> None:
        if not batch:
            return
        columns = list(batch[0])
        rows = [tuple(map(values.get, columns)) for values in batch]
        with transaction.atomic():
            stored = loading.insert_rows(rows, columns, skip_existing=True)
        summary.stored += stored
        summary.duplicates += len(batch) - stored
        if progress:
            progress(len(batch))

    if strict:
        with transaction.atomic():
            run()
    else:
        run()
    return summary


# --- purge --------------------------------------------------------------------------------
@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    partitions: list[tuple[str, int]] = field(default_factory=list)  # (name, rows)
    rows_deleted: int = 0

    @property
    def rows(self) -> int:
        return self.rows_deleted + sum(n for _, n in self.partitions)


class PurgeRefused(ValueError):
    pass


def call_purge(
    *,
    older_than_days: int = 90,
    dry_run: bool = False,
    batch_size: int = 10_000,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> PurgeReport:
    """Remove every call that ended before now - `older_than_days`; report what went.

    Refuses a line inside the retention window (fewer than 90 days): calls that the API
    may still return are never removed.
    """
    report = PurgeReport(cutoff=_cutoff(older_than_days, now), dry_run=dry_run)
    for _ in purge_steps(report, batch_size=batch_size, progress=progress):
        pass
    return report


def _cutoff(older_than_days: int, now: datetime | None) -> datetime:
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
            yield f"trimmed {counts.trim(cutoff)} hour counts"
    else:
        yield from _delete_in_batches(report, Call._meta.db_table, batch_size, progress)


def _detach(part: partitions.Partition, doomed: str) -> None:
    """Detach a partition, rename it for the drop, and forget its hours, atomically."""
    _execute(f'ALTER TABLE {partitions.TABLE} DETACH PARTITION "{part.name}"')
    _execute(f'ALTER TABLE "{part.name}" RENAME TO "{doomed}"')
    counts.forget(part.start, part.end)
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
