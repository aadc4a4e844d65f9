"""Writes that touch many call rows; management commands and the admin wrap these."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from django.db import transaction

from calls import partitions
from calls.models import Call, normalise_number


def call_bulk_insert(
    *,
    rows: Iterable[dict],
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert calls given as dicts of field values, in atomic batches; return the count.

    Partitions for each batch's time range are created first, so no row waits in the
    default partition longer than it must.
    """
    iterator = iter(rows)
    stored = 0
    while batch := list(islice(iterator, batch_size)):
        objs = []
        for row in batch:
            obj = Call(**row)
            obj.from_number_norm = normalise_number(obj.from_number)
            obj.to_number_norm = normalise_number(obj.to_number)
            objs.append(obj)
        ends = [obj.end_time for obj in objs]
        partitions.ensure_for_range(min(ends), max(ends))
        with transaction.atomic():
            Call.objects.bulk_create(objs)
        stored += len(objs)
        if progress:
            progress(len(objs))
    return stored
