"""Import: files of Plivo- or CarrierX-style records into the store (import_calls).

Records are parsed and checked one by one (calls/writing/records.py); bad ones are reported
with their line and reason, good ones stored in bounded batches; a call already stored is
a duplicate, so a re-run stores nothing new; a call_uuid another account's call holds
is refused.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import Account
from calls.bulk.ahead import run_ahead
from calls.bulk.progress import Progress
from calls.rating.pricing import Unpriceable, price_rows
from calls.store import loading
from calls.writing.records import RecordError, detect_style, parse_records
from cdrapi import metrics

# What store_rows did with each row. A row whose call_uuid another account's call holds is
# FOREIGN: not stored and refused, never a duplicate, so the writer keeps it rather than
# dropping it as delivered, and is told nothing of the other account or its call (README,
# "Duplicates").
STORED, DUPLICATE, FOREIGN = "stored", "duplicate", "foreign"
# The reason a FOREIGN row is refused with: the same words whatever the other call holds.
FOREIGN_REASON = "another account has a call with this call_uuid; not stored"


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
    product: str | None = None,
    strict: bool = False,
    batch_size: int = 5000,
    progress: Progress | None = None,
    on_reject: Callable[[int, str], None] | None = None,
) -> ImportSummary:
    """Import (line number, record) pairs in Plivo or CarrierX field names.

    `product` ("voice" or "zentrunk") is every record's, whatever its own `product` key
    says; without it a record without one is a Zentrunk call.
    A bad record is reported and skipped; with `strict` the first one aborts the whole
    import and nothing is stored (one transaction). Re-importing stores nothing twice.
    Memory stays constant: records stream through batches of `batch_size`.
    """
    summary = ImportSummary()
    source = _Source(records)
    rows = parse_records(source, account=account, product=product)
    if account is not None:  # parsing reads no database then: it runs ahead, in a thread
        rows = run_ahead(rows, ahead=batch_size)

    def refuse(line: int, reason: str) -> None:
        if strict:
            raise StrictImportError(line, reason)
        summary.rejected += 1
        if len(summary.errors) < 1000:
            summary.errors.append((line, reason))
        if on_reject:
            on_reject(line, reason)

    def run() -> None:
        batch: list[dict] = []
        lines: list[int] = []
        with closing(rows):  # stops the parsing thread when a strict import aborts
            for line, parsed in rows:
                summary.read += 1
                if isinstance(parsed, RecordError):
                    refuse(line, str(parsed))
                else:
                    batch.append(parsed)
                    lines.append(line)
                if len(batch) >= batch_size:
                    _store(batch, lines)
                    batch, lines = [], []
        _store(batch, lines)

    def _store(batch: list[dict], lines: list[int]) -> None:
        if not batch:
            return
        try:
            fates = store_rows(batch)
        except Unpriceable as exc:  # nothing was written: refuse those, store the others
            for values, line in zip(batch, lines, strict=True):
                if values["call_uuid"] in exc.reasons:
                    refuse(line, exc.reasons[values["call_uuid"]])
            kept = [i for i, values in enumerate(batch) if values["call_uuid"] not in exc.reasons]
            batch, lines = [batch[i] for i in kept], [lines[i] for i in kept]
            fates = store_rows(batch) if batch else []
        summary.stored += fates.count(STORED)
        summary.duplicates += fates.count(DUPLICATE)
        if FOREIGN in fates:  # refused, not duplicates: another account's calls
            for line, fate in zip(lines, fates, strict=True):
                if fate == FOREIGN:
                    refuse(line, FOREIGN_REASON)
        if progress:
            progress(len(batch))

    if strict:
        with transaction.atomic():
            run()
    else:
        run()
    for outcome, n in (("stored", summary.stored), ("duplicate", summary.duplicates),
                       ("rejected", summary.rejected)):  # fmt: skip
        metrics.IMPORT_ROWS.labels(source.name, outcome).inc(n)
    return summary


class _Source:
    """The records of one import, passed through unchanged; `name` becomes their field
    style (plivo or carrierx) once one is seen, the `source` label of the row counts."""

    def __init__(self, records: Iterable[tuple[int, dict]]) -> None:
        self.records, self.name = records, "unknown"

    def __iter__(self):
        for line, record in self.records:
            if self.name == "unknown" and isinstance(record, dict):
                with suppress(RecordError):
                    self.name = detect_style(record)
            yield line, record


def store_rows(rows: Sequence[dict]) -> list[str]:
    """Store parsed rows (parse_records' dicts) in one transaction; return each row's fate
    in order: STORED; DUPLICATE when a call of the row's own account has its call_uuid
    (stored before, or an earlier row here); FOREIGN when another account's call has it.

    The one place parsed calls are written, for import_calls and live ingestion alike:
    a step every stored call must go through (rating) hooks in here, before the write.
    Rows of different field styles (Plivo, CarrierX) fill different columns; each style
    is written as its own group. Committed on return unless the caller holds a transaction.
    """
    price_rows(rows)
    groups: dict[tuple[str, ...], list[tuple]] = {}
    for values in rows:
        columns = tuple(values)
        groups.setdefault(columns, []).append(tuple(values.values()))
    if len(groups) == 1:  # one style: insert_new_rows is atomic by itself
        ((columns, group),) = groups.items()
        stored = loading.insert_new_rows(group, columns)
    else:
        stored = set()
        with transaction.atomic():
            for columns, group in groups.items():
                stored |= loading.insert_new_rows(group, columns)
    return _fates(rows, stored)


def _fates(rows: Sequence[dict], stored: set[uuid.UUID]) -> list[str]:
    """Each row's fate, from the call_uuids `stored` new: no query when every row was; else
    one, for the owners of the others and of a call_uuid repeated here (whose stored row
    is not always the first: each field style is written as its own group)."""
    if len(stored) == len(rows):  # every row new, so no call_uuid repeated
        return [STORED] * len(rows)
    repeats = Counter(values["call_uuid"] for values in rows)
    owner = loading.owners({u for u, n in repeats.items() if n > 1 or u not in stored})
    unnamed = set(stored)  # new calls whose stored row is yet to be met
    fates = []
    for values in rows:
        call_uuid, account_id = values["call_uuid"], values["account_id"]
        if call_uuid in unnamed and owner.get(call_uuid, account_id) == account_id:
            unnamed.discard(call_uuid)
            fates.append(STORED)
        elif owner.get(call_uuid) == account_id:
            fates.append(DUPLICATE)
        else:  # another account's call (or one purged since this row was skipped)
            fates.append(FOREIGN)
    return fates
