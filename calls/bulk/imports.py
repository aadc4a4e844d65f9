"""Import: files of Plivo- or CarrierX-style records into the store (import_calls).

Records are parsed and checked one by one (calls/bulk/records.py); bad ones are reported
with their line and reason, good ones stored in bounded batches; a call already stored is
a duplicate, so a re-run stores nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import Account
from calls.bulk.ahead import run_ahead
from calls.bulk.progress import Progress
from calls.bulk.records import RecordError, parse_records
from calls.rating.pricing import Unpriceable, price_rows
from calls.store import loading
from cdrapi import metrics


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
    source = metrics.ImportSource(records)
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
        with closing(rows):  # stops the parsing thread when a strict import aborts
            for line, parsed in rows:
                summary.read += 1
                if isinstance(parsed, RecordError):
                    refuse(line, str(parsed))
                else:
                    batch.append(parsed)
                if len(batch) >= batch_size:
                    _store(batch)
                    batch = []
        _store(batch)

    def _store(batch: list[dict]) -> None:
        if not batch:
            return
        try:
            stored = len(store_rows(batch))
        except Unpriceable as exc:  # nothing was written: refuse those, store the others
            for call_uuid, reason in exc.reasons.items():
                refuse(0, f"call_uuid {call_uuid}: {reason}")
            batch = [values for values in batch if values["call_uuid"] not in exc.reasons]
            stored = len(store_rows(batch)) if batch else 0
        summary.stored += stored
        summary.duplicates += len(batch) - stored
        if progress:
            progress(len(batch))

    if strict:
        with transaction.atomic():
            run()
    else:
        run()
    metrics.count_import(source.name, summary)
    return summary


def store_rows(rows: Sequence[dict]) -> set[uuid.UUID]:
    """Store parsed rows (parse_records' dicts) in one transaction; return the call_uuids
    that were new, the rest being duplicates of stored calls (or of an earlier row here).

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
        return loading.insert_new_rows(group, columns)
    stored: set[uuid.UUID] = set()
    with transaction.atomic():
        for columns, group in groups.items():
            stored |= loading.insert_new_rows(group, columns)
    return stored
