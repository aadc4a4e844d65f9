"""Import: files of Plivo- or CarrierX-style records into the store (import_calls).

Records are parsed and checked one by one (calls/writing/records.py); bad ones are reported
with their line and reason, good ones stored in bounded batches; a call already stored is
a duplicate, so a re-run stores nothing new; a call_uuid another account's call holds
is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import closing, suppress
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import Account
from calls.bulk.ahead import run_ahead
from calls.bulk.progress import Progress
from calls.rating.pricing import Unpriceable
from calls.writing.records import RecordError, detect_style, parse_records
from calls.writing.writer import DUPLICATE, FOREIGN, FOREIGN_REASON, STORED, store_rows
from cdrapi import metrics

# Batches the parse runs ahead of the writer: one would be parsed while the writer formats
# its COPY (both holding the GIL in turn), then wait while PostgreSQL writes; with more, the
# parse goes on during that wait, which is when it runs beside the server.
AHEAD_BATCHES = 3


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
        rows = run_ahead(rows, ahead=AHEAD_BATCHES * batch_size)

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
        done = summary.read  # the bar counts records read, refused ones included
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
                    done = _advance(done)
        _store(batch, lines)
        _advance(done)

    def _advance(done: int) -> int:
        if progress and summary.read > done:
            progress(summary.read - done)
        return summary.read

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
