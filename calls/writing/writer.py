"""The one writer: `store_rows` stores parsed rows (calls/writing/records.py) for
import_calls, the live endpoints and the broker alike, and says what became of each row.
A step every stored call must go through (rating) hooks in here, before the write."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

from django.db import transaction

from calls.rating.pricing import price_rows
from calls.writing import loading
from cdrapi import synchronous

# What store_rows did with each row. A row whose call_uuid another account's call holds is
# FOREIGN: not stored and refused, never a duplicate, so the writer keeps it rather than
# dropping it as delivered, and is told nothing of the other account or its call
# (docs/operations.md, "Duplicates").
STORED, DUPLICATE, FOREIGN = "stored", "duplicate", "foreign"
# The reason a FOREIGN row is refused with: the same words whatever the other call holds.
FOREIGN_REASON = "another account has a call with this call_uuid; not stored"


def store_rows(rows: Sequence[dict]) -> list[str]:
    """Store parsed rows (parse_records' dicts) in one transaction; return each row's fate
    in order: STORED; DUPLICATE when a call of the row's own account has its call_uuid
    (stored before, or an earlier row here); FOREIGN when another account's call has it.

    Rows of different field styles (Plivo, CarrierX) fill different columns; each style
    is written as its own group. Committed on return unless the caller holds a transaction;
    a commit the synchronous standby did not confirm raises OperationalError (an outage:
    cdrapi/synchronous.py), at once or when the caller's transaction commits.
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
    synchronous.confirm()
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
