"""Replaying switch CDRs from files (import_calls --format freeswitch|kamailio): the same
service as the live endpoints (calls.ingest.service), in batches, with the importer's
summary. A CDR already stored is a duplicate, so replaying a directory twice, or one
whose CDRs partly got through, stores each call once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

from accounts.models import Account
from calls.bulk.imports import ImportSummary, StrictImportError
from calls.bulk.progress import Progress
from calls.ingest.service import Format, store_documents


def replay(
    fmt: Format,
    documents: Iterable[tuple[str, Any]],
    *,
    account: Account | None,
    product: str | None = None,
    strict: bool = False,
    batch_size: int = 1000,
    progress: Progress | None = None,
    on_reject: Callable[[str, str], None] | None = None,
) -> ImportSummary:
    """Store (label, document) pairs; a document may be the RecordError its reader met.

    Without `account` each CDR must name its account (accountcode, account); with it, a
    CDR naming another must name one below it. With `strict` the first refused CDR
    aborts the replay and nothing is stored.
    """
    summary = ImportSummary()

    def flush(batch: list[tuple[str, Any]]) -> None:
        if not batch:
            return
        outcomes = store_documents(fmt, [doc for _, doc in batch], account=account, product=product)
        for (label, _), outcome in zip(batch, outcomes, strict=True):
            summary.read += 1
            if outcome.status == "stored":
                summary.stored += 1
            elif outcome.status == "duplicate":
                summary.duplicates += 1
            else:
                if strict:
                    raise StrictImportError(summary.read, f"{label}: {outcome.reason}")
                summary.rejected += 1
                if len(summary.errors) < 1000:
                    summary.errors.append((summary.read, f"{label}: {outcome.reason}"))
                if on_reject:
                    on_reject(label, outcome.reason or "")
        if progress:
            progress(len(batch))

    def run() -> None:
        batch: list[tuple[str, Any]] = []
        for pair in documents:
            batch.append(pair)
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
        flush(batch)

    if strict:
        with transaction.atomic():
            run()
    else:
        run()
    return summary
