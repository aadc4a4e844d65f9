"""The field parsers of the importer (calls/bulk/records.py): one per kind of value, each
raising RecordError with a reason that names the record's own field."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from calls.bulk.record_rules import RecordError, check_moment
from calls.models import HANGUP_SOURCE_ALIASES, HANGUP_SOURCES_BY_PRODUCT, VOICE, ZENTRUNK
from calls.query.values import INT32_MAX, parse_int

# The source of a record that names none: "customer" as before products (Zentrunk),
# and Voice's own word for not knowing.
DEFAULT_SOURCE = {ZENTRUNK: "customer", VOICE: "Unknown"}
CENTS = Decimal("0.00001")  # the store's five decimal places (durations, money)
_MONEY_LIMIT = Decimal("1e9")


# A value that is not there: null, or an empty string (a CSV's empty cell). Tested with
# `in` (C) rather than a function call: the importer asks it ~30 times per record.
MISSING = (None, "")


def _text(r: dict, name: str, required: bool = False) -> str | None:
    value = r.get(name)
    if type(value) is str and value:  # the common case first (the importer's hot path)
        if "\x00" in value:
            raise RecordError(f"{name} contains a NUL character")
        return value
    if value in MISSING:
        if required:
            raise RecordError(f"{name} is required")
        return None
    if not isinstance(value, str | int):
        raise RecordError(f"{name} must be text")
    text = str(value)
    if "\x00" in text:
        raise RecordError(f"{name} contains a NUL character")
    return text


def _uuid(value, name: str, required: bool = False) -> uuid.UUID | None:
    if value in MISSING:
        if required:
            raise RecordError(f"{name} is required")
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise RecordError(f"{name} is not a UUID: {str(value)[:40]!r}") from None


def _time(r: dict, name: str, now: datetime, required: bool = False) -> datetime | None:
    """The timestamp, in UTC; checked against the sane range at once, so that nothing
    derived from it (end - call_duration, a change of zone) can overflow."""
    value = r.get(name)
    if value in MISSING:
        if required:
            raise RecordError(f"{name} is required")
        return None
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(f"{name} is not a date and time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    check_moment(name, moment, now)
    return moment.astimezone(UTC)


def _int(r: dict, name: str, signed: bool = False) -> int | None:
    value = r.get(name)
    if type(value) is int and (0 if not signed else -INT32_MAX) <= value <= INT32_MAX:
        return value  # a JSON number in range: what parse_int(str(value)) would return
    if value in MISSING:
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = parse_int(str(value))  # the API's own rule: a 32-bit whole number
    except ValueError:
        raise RecordError(f"{name} is not a 32-bit whole number: {str(value)[:40]!r}") from None
    if number < 0 and not signed:
        raise RecordError(f"{name} is out of range: {number}")
    return number


def _money(r: dict, name: str) -> Decimal | None:
    value = r.get(name)
    if value in MISSING:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{name} is not a decimal number: {str(value)[:40]!r}") from None
    if not amount.is_finite() or abs(amount) >= _MONEY_LIMIT:
        raise RecordError(f"{name} is out of range: {str(value)[:40]}")
    return amount.quantize(CENTS)


def _choice(r: dict, name: str, choices: tuple, required: bool = False) -> str | None:
    value = r.get(name)
    if value in MISSING:
        if required:
            raise RecordError(f"{name} is required")
        return None
    if value not in choices:
        raise RecordError(f"{name} must be one of {', '.join(choices)}; got {str(value)[:40]!r}")
    return value


_TRUE, _FALSE = {"true", "1", "t", "yes"}, {"false", "0", "f", "no"}


def _bool(r: dict, name: str) -> bool:
    value = r.get(name)
    if value in MISSING:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise RecordError(f"{name} must be true or false; got {str(value)[:40]!r}")
    return text in _TRUE


def _source(r: dict, product: str) -> str:
    """The record's hangup source, which must be one of its product's (README,
    "Importing"); an alias ("Call recipient") is stored as its canonical name."""
    value = r.get("hangup_source")
    if value in MISSING:
        return DEFAULT_SOURCE[product]
    accepted = HANGUP_SOURCES_BY_PRODUCT[product]
    aliases = HANGUP_SOURCE_ALIASES[product]
    if value in accepted:
        return value
    if value in aliases:
        return aliases[value]
    also = "".join(f"; {alias!r} is read as {name!r}" for alias, name in aliases.items())
    raise RecordError(
        f"hangup_source {str(value)[:40]!r} is not a {product} source: one of "
        f"{', '.join(accepted)}{also}"
    )


def _country(r: dict, name: str) -> str | None:
    value = _text(r, name)
    if value is None:
        return None
    if not (len(value) == 2 and value.isascii() and value.isalpha() and value.isupper()):
        raise RecordError(
            f"{name} must be two upper-case letters (ISO 3166 alpha-2); got {value[:40]!r}"
        )
    return value


def _measure(r: dict, name: str, low: float, high: float) -> float | None:
    """A quality figure (a JSON number or its text), from `low` to `high`."""
    value = r.get(name)
    if value in MISSING:
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(f"{name} is not a number: {str(value)[:40]!r}") from None
    if not low <= number <= high:  # NaN fails too
        raise RecordError(f"{name} must be from {low} to {high}; got {str(value)[:40]}")
    return number
