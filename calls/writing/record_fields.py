"""The field parsers of the importer (calls/writing/records.py): one per kind of value, each
raising RecordError with a reason that names the record's own field.

Liberal in what they accept from real exports (docs/ingest.md, "What a record may say"):
an enumeration in any letter case, `null`/`""`/`"null"` where a value may be absent, a
time as ISO 8601 or epoch seconds. What they return is the store's one spelling.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from calls.query.values import INT32_MAX, parse_int
from calls.vocabulary.hangup import DEFAULT_SOURCE, HANGUP_SOURCE_ALIASES, HANGUP_SOURCES_BY_PRODUCT
from calls.writing.record_rules import RecordError, check_moment

CENTS = Decimal("0.00001")  # the store's five decimal places (durations, money)
_MONEY_LIMIT = Decimal("1e9")
SMALLINT_MAX = 32767  # PostgreSQL's smallint (the CarrierX `version` column)
USER_DATA_DEPTH = 32  # nesting levels of user_data; PostgreSQL's jsonb is fine far deeper
# user_data's size as stored (UTF-8 JSON): a CDR's custom fields, not a document store; every
# list of up to 1,000 CDRs decodes it, so one tenant's megabytes would stall every worker.
USER_DATA_MAX_BYTES = 16_384

# A value that is not there: null, an empty string (a CSV's empty cell), or the text
# "null" that Plivo's SIP-trunking objects print for an absent attestation. Tested with
# `in` (C) rather than a function call: the importer asks it ~30 times per record.
MISSING = (None, "", "null", "NULL", "Null")
_NULL_TEXT = frozenset(("null", "NULL", "Null"))  # a set: a string's hash is cached
# Parsed values remembered by their text (rates, countries, sources repeat from record to
# record): the parsers are pure, their results immutable, and only a value that parsed is
# remembered, so a bad one is refused each time with its own reason.
_SEEN_LIMIT = 4096


def _remember(seen: dict, key: Any, result: Any) -> Any:
    if len(seen) >= _SEEN_LIMIT:
        seen.clear()
    seen[key] = result
    return result


def _text(r: dict, name: str, required: bool = False) -> str | None:
    value = r.get(name)
    if type(value) is str and value:  # the common case first (the importer's hot path)
        if value in _NULL_TEXT and not required:
            return None
        return _clean(value, name)
    if value in MISSING:
        if required:
            raise RecordError(f"{name} is required")
        return None
    if type(value) is bool:
        return "true" if value else "false"  # a JSON export's true for CarrierX's "true"
    if type(value) is int:
        return str(value)
    if type(value) is float and value.is_integer():
        return str(int(value))  # a number a spreadsheet turned into 14155550100.0
    raise RecordError(f"{name} must be text")


def _clean(text: str, name: str) -> str:
    """`text` if PostgreSQL can store it and the answer can encode it: no NUL, no lone
    UTF-16 surrogate (JSON's "\\ud800" escape gets through json.loads)."""
    if "\x00" in text:
        raise RecordError(f"{name} contains a NUL character")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(f"{name} holds a lone UTF-16 surrogate: not text") from None
    return text


def _uuid(value: Any, name: str, required: bool = False) -> uuid.UUID | None:
    if value in MISSING:
        if required:
            raise RecordError(f"{name} is required")
        return None
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise RecordError(f"{name} is not a UUID: {_shown(value)}")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise RecordError(f"{name} is not a UUID: {_shown(value)}") from None


def _time(r: dict, name: str, now: datetime, required: bool = False) -> datetime | None:
    """The timestamp, in UTC; checked against the sane range at once, so that nothing
    derived from it (end - call_duration, a change of zone) can overflow.

    ISO 8601 with or without a zone (none: UTC, as the contract's filters), a trailing
    "UTC"/"GMT", or epoch seconds (milliseconds and microseconds told by their size)."""
    value = r.get(name)
    if type(value) is str and value and value not in _NULL_TEXT and value[:10] not in _NO_TIME:
        moment = _moment(value)  # the common case first (the importer's hot path)
    elif value in MISSING or value in _NO_TIME or type(value) is str:
        if required:
            raise RecordError(f"{name} is required")
        return None
    elif type(value) is bool or not isinstance(value, int | float):
        raise RecordError(f"{name} is not a date and time: {_shown(value)}")
    else:
        moment = _epoch(value)
    if moment is None:
        raise RecordError(f"{name} is not a date and time: {_shown(value)}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    check_moment(name, moment, now)
    return moment.astimezone(UTC)


# How exports write "never" for an optional time: epoch 0 (a switch's unanswered call), a
# SQL zero date.
_NO_TIME = (0, "0", "0000-00-00")


def _moment(text: str) -> datetime | None:
    text = text.strip()
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        pass
    for suffix in (" UTC", " GMT", "UTC", "GMT"):
        if text.endswith(suffix):
            try:
                return datetime.fromisoformat(text[: -len(suffix)].strip()).replace(tzinfo=UTC)
            except ValueError:
                return None
    try:
        return _epoch(Decimal(text))
    except (InvalidOperation, ValueError):
        return None


def _epoch(number: int | float | Decimal) -> datetime | None:
    """Epoch seconds, milliseconds or microseconds (by magnitude: 2001 onwards in seconds
    is 10 digits, in milliseconds 13, in microseconds 16)."""
    seconds = Decimal(str(number)) if not isinstance(number, Decimal) else number
    if not seconds.is_finite() or seconds <= 0:
        return None
    for scale in (1, 1000, 1_000_000):
        if seconds < Decimal(100_000_000_000) * scale:  # before 5138: this scale
            try:
                return datetime.fromtimestamp(float(seconds / scale), tz=UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None


def _int(r: dict, name: str, signed: bool = False, high: int = INT32_MAX) -> int | None:
    value = r.get(name)
    if type(value) is int and (0 if not signed else -high) <= value <= high:
        return value  # a JSON number in range: what parse_int(str(value)) would return
    if value in MISSING:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError
        number = parse_int(str(value).strip())  # the API's own rule: a 32-bit whole number
    except ValueError:
        if isinstance(value, float) and value.is_integer():
            number = int(value)  # 30.0 from a spreadsheet
        else:
            raise RecordError(f"{name} is not a whole number: {_shown(value)}") from None
    if number < 0 and not signed:
        raise RecordError(f"{name} is negative: {number}")
    if abs(number) > high:
        raise RecordError(f"{name} is out of range: {number} (at most {high})")
    return number


_MONEY_SEEN: dict[str, Decimal] = {}


def _money(r: dict, name: str) -> Decimal | None:
    """A non-negative amount or rate, to the store's five decimals."""
    value = r.get(name)
    if type(value) is str and (seen := _MONEY_SEEN.get(value)) is not None:
        return seen
    if value in MISSING:
        return None
    if type(value) is not str and (type(value) is bool or not isinstance(value, int | float)):
        raise RecordError(f"{name} is not a decimal number: {_shown(value)}")
    try:
        amount = Decimal(value if type(value) is str else str(value))  # blanks around: fine
    except InvalidOperation:
        raise RecordError(f"{name} is not a decimal number: {_shown(value)}") from None
    if not amount.is_finite() or abs(amount) >= _MONEY_LIMIT:
        raise RecordError(f"{name} is out of range: {_shown(value)}")
    if amount < 0:
        raise RecordError(f"{name} is negative: {_shown(value)}")
    if type(value) is str:
        return _remember(_MONEY_SEEN, value, amount.quantize(CENTS))
    return amount.quantize(CENTS)


def _choice(r: dict, name: str, choices: tuple, required: bool = False) -> str | None:
    """One of `choices`, in their spelling, whatever the record's letter case or its use
    of "_", "-" and spaces ("not applicable", "NOT_APPLICABLE" -> "Not Applicable")."""
    value = r.get(name)
    if value in choices:
        return value
    if value in MISSING:
        if required:
            raise RecordError(f"{name} is required")
        return None
    found = _folded(choices).get(_fold(value)) if type(value) is str else None
    if found is None:
        raise RecordError(f"{name} must be one of {', '.join(choices)}; got {_shown(value)}")
    return found


def _fold(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").split()).casefold()


@cache
def _folded(choices: tuple[str, ...]) -> dict[str, str]:
    return {_fold(choice): choice for choice in choices}


_TRUE, _FALSE = {"true", "1", "t", "yes", "y"}, {"false", "0", "f", "no", "n"}


def _bool(r: dict, name: str) -> bool:
    value = r.get(name)
    if value in MISSING:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text not in _TRUE | _FALSE:
        raise RecordError(f"{name} must be true or false; got {_shown(value)}")
    return text in _TRUE


def _source(r: dict, product: str) -> str:
    """The record's hangup source, which must be one of its product's (docs/operations.md,
    "import_calls"), in any letter case; an alias ("Call recipient") is stored as its
    canonical name."""
    value = r.get("hangup_source")
    if value in MISSING:
        return DEFAULT_SOURCE[product]
    found = None
    if type(value) is str:
        sources = _sources(product)
        found = sources.get(value) or sources.get(_fold(value))
    if found is not None:
        return found
    accepted = HANGUP_SOURCES_BY_PRODUCT[product]
    aliases = HANGUP_SOURCE_ALIASES[product]
    also = "".join(f"; {alias!r} is read as {name!r}" for alias, name in aliases.items())
    raise RecordError(
        f"hangup_source {_shown(value)} is not a {product} source: one of "
        f"{', '.join(accepted)}{also}"
    )


@cache
def _sources(product: str) -> dict[str, str]:
    """Folded spelling -> canonical source of `product`, its aliases included."""
    names = {_fold(source): source for source in HANGUP_SOURCES_BY_PRODUCT[product]}
    for alias, source in HANGUP_SOURCE_ALIASES[product].items():
        names[_fold(alias)] = source
    # Each canonical spelling as it is, too, where folding it finds itself: the common
    # case found without folding.
    for source in HANGUP_SOURCES_BY_PRODUCT[product]:
        if names.get(_fold(source)) == source:
            names.setdefault(source, source)
    return names


_COUNTRY_SEEN: dict[str, str] = {}


def _country(r: dict, name: str) -> str | None:
    raw = r.get(name)
    if type(raw) is str and (seen := _COUNTRY_SEEN.get(raw)) is not None:
        return seen
    value = _text(r, name)
    if value is None:
        return None
    code = value.strip().upper()
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise RecordError(f"{name} must be two letters (ISO 3166 alpha-2); got {_shown(value)}")
    return _remember(_COUNTRY_SEEN, raw, code) if type(raw) is str else code


def _measure(r: dict, name: str, low: float, high: float) -> float | None:
    """A quality figure (a JSON number or its text), from `low` to `high`."""
    value = r.get(name)
    if value in MISSING:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(f"{name} is not a number: {_shown(value)}") from None
    if not low <= number <= high:  # NaN fails too
        raise RecordError(f"{name} must be from {low} to {high}; got {str(value)[:40]}")
    return number


def _json_object(r: dict, name: str) -> str:
    """A JSON object (or its text) as the JSON text PostgreSQL's jsonb takes: no NaN or
    Infinity, no NUL and no lone surrogate in a key or a string, at most USER_DATA_DEPTH
    levels deep. Absent: "{}"."""
    value = r.get(name)
    if value in MISSING:
        return "{}"
    if isinstance(value, str):
        try:
            value = json.loads(value, parse_constant=_no_constant)
        except RecursionError:
            raise RecordError(f"{name} nests deeper than {USER_DATA_DEPTH} levels") from None
        except ValueError:
            raise RecordError(f"{name} is not a JSON object") from None
    if not isinstance(value, dict):
        raise RecordError(f"{name} is not a JSON object")
    _check_json(value, name, 1)
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    if len(text) > USER_DATA_MAX_BYTES // 4 and len(text.encode()) > USER_DATA_MAX_BYTES:
        raise RecordError(f"{name} is {len(text.encode())} bytes (at most {USER_DATA_MAX_BYTES})")
    return text


def _no_constant(constant: str) -> None:
    raise ValueError(constant)


def _check_json(value: Any, name: str, depth: int) -> None:
    if depth > USER_DATA_DEPTH:
        raise RecordError(f"{name} nests deeper than {USER_DATA_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise RecordError(f"{name} has a key that is not text")
            _clean(key, f"{name} (a key)")
            _check_json(item, name, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, name, depth + 1)
    elif isinstance(value, str):
        _clean(value, name)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise RecordError(f"{name} holds {json.dumps(value)}, which JSON has no place for")
    elif value is not None and not isinstance(value, int | bool):
        raise RecordError(f"{name} holds a value that is not JSON")


def _shown(value: Any) -> str:
    """A value for a reason: its first 40 characters, quoted, whatever its type."""
    return repr(value if isinstance(value, str) else str(value))[:42]
