"""Opaque keyset cursors: a signed position in newest-first order.

A cursor carries the (end_time, call_uuid) of the row it continues from, the direction,
the logical offset of the page it asks for, the request time that fixed the window of
the walk (so that every page of a walk sees the same window and totals), and a
fingerprint of the query, so that a cursor cannot be replayed against other filters.
Signing (Django's signing, keyed by SECRET_KEY) makes tampering a 400, not a surprise.
A cursor lives for MAX_AGE after its walk began: long enough for any walk, short enough
that a kept cursor is not a standing view of old data (docs/plivo.md, "Ordering and
pages").
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core import signing
from django.utils import timezone

from calls.query import rules
from calls.query.core import CallQuery
from calls.query.errors import QueryError

SALT = "cdrapi.cursor.v1"
MAX_AGE = timedelta(hours=24)


class CursorError(QueryError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "cursor")


@dataclass(frozen=True)
class Cursor:
    end_time: datetime
    call_uuid: uuid.UUID
    forward: bool  # True: the page after this row (older); False: the page before it
    offset: int  # logical offset of the page this cursor asks for
    now: datetime  # request time of the walk's first page
    fingerprint: str

    def encode(self) -> str:
        payload = [
            _micros(self.end_time),
            self.call_uuid.hex,
            1 if self.forward else 0,
            self.offset,
            _micros(self.now),
            self.fingerprint,
        ]
        return signing.dumps(payload, salt=SALT, compress=True)

    @classmethod
    def decode(cls, raw: str, *, fingerprint: str) -> Cursor:
        try:
            end, uid, forward, offset, now, fp = signing.loads(raw, salt=SALT)
            cursor = cls(
                end_time=_from_micros(end),
                call_uuid=uuid.UUID(hex=uid),
                forward=bool(forward),
                offset=int(offset),
                now=_from_micros(now),
                fingerprint=str(fp),
            )
        except (signing.BadSignature, ValueError, TypeError, OverflowError):
            raise CursorError(rules.CURSOR_ALTERED.format()) from None
        if timezone.now() - cursor.now > MAX_AGE:
            hours = round(MAX_AGE.total_seconds() / 3600)
            raise CursorError(rules.CURSOR_EXPIRED.format(hours=hours))
        if cursor.fingerprint != fingerprint:
            raise CursorError(rules.CURSOR_OTHER_QUERY.format())
        return cursor

    def page(self, query: CallQuery, limit: int) -> list[tuple]:
        """The rows of the page this cursor asks for, newest first."""
        anchor = (self.end_time, self.call_uuid)
        rows = query.keyset_page(anchor, towards_older=self.forward, limit=limit).rows
        return rows if self.forward else rows[::-1]


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


_ONE_MICRO = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta // _ONE_MICRO


def _from_micros(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + int(value) * _ONE_MICRO
