"""Strict parsers for query-string values, shared by both API faces (the one copy of each
number, time, UUID and phone-number rule).

Stricter than Django's form fields on purpose: ASCII digits only (Python's int() takes
Arabic-Indic digits too), bounded to the database column's range (an out-of-range value
must be a 400, not a database error), and no silent coercion of "1.0" to 1.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

INT32_MAX = 2**31 - 1
_UINT = re.compile(r"[0-9]{1,10}", re.ASCII)
_INT = re.compile(r"-?[0-9]{1,10}", re.ASCII)
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?", re.ASCII
)
# An optional + then digits, or the user part of a SIP URI (RFC 3261 unreserved and
# user-unreserved characters; no %-escapes). The schema's patterns are these very strings
# (calls/query/patterns.py), so the two cannot drift apart.
NUMBER = r"\+?[0-9]+|[A-Za-z0-9\-_.!~*'()&=+$,;?/]+"
NUMBER_MAX_LENGTH = 128
# 32 hex digits, the four hyphens optional.
UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
_NUMBER = re.compile(NUMBER, re.ASCII)
_UUID = re.compile(UUID, re.ASCII)
DATETIME_FORMATS = "YYYY-MM-DD HH:MM, YYYY-MM-DD HH:MM:ss or YYYY-MM-DD HH:MM:ss.uuuuuu (UTC)"


def parse_uint(raw: str, *, maximum: int = INT32_MAX) -> int:
    if not _UINT.fullmatch(raw) or int(raw) > maximum:
        raise ValueError(f"expected a whole number from 0 to {maximum}, got {raw!r}")
    return int(raw)


def parse_int(raw: str) -> int:
    if not _INT.fullmatch(raw) or abs(int(raw)) > INT32_MAX:
        raise ValueError(f"expected a whole number, got {raw!r}")
    return int(raw)


def parse_utc_datetime(raw: str) -> datetime:
    """`YYYY-MM-DD HH:MM[:ss[.uuuuuu]]`, `T` accepted for the space; always UTC."""
    if not _DATETIME.fullmatch(raw):
        raise ValueError(f"expected a UTC time as {DATETIME_FORMATS}, got {raw!r}")
    try:
        return datetime.fromisoformat(raw.replace("T", " ")).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{raw!r} is not a real date and time") from None


def parse_uuid(raw: str) -> uuid.UUID:
    """A UUID as 32 hex digits, hyphens optional (no braces, no urn: prefix)."""
    if not _UUID.fullmatch(raw):
        raise ValueError(f"expected a UUID, got {raw[:40]!r}")
    return uuid.UUID(raw)


def parse_number_prefix(raw: str) -> str:
    """The normalised prefix to match (leading `+` dropped)."""
    if len(raw) > NUMBER_MAX_LENGTH or not _NUMBER.fullmatch(raw):
        raise ValueError(
            f"expected digits with an optional leading + or the user part of a SIP URI, "
            f"got {raw[:40]!r}"
        )
    return raw[1:] if raw.startswith("+") else raw
