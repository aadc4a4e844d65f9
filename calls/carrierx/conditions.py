"""Parsed filter clauses -> the core's conditions, on the field whitelist in
calls/carrierx/cdr.py (docs/carrierx.md, "Filter language")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.db.models import TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from calls.carrierx.cdr import FIELDS
from calls.carrierx.filter_language import Clause, FilterSyntaxError
from calls.query import rules
from calls.query import window as win
from calls.query.core import Condition
from calls.query.values import parse_int, parse_utc_datetime, parse_uuid
from calls.store.lookups import LikePatternError, check_pattern

_ISO_Z = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z", re.ASCII
)
_DECIMAL = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,10})?", re.ASCII)
_USER_DATA_KEY = re.compile(r"[A-Za-z0-9_\-]{1,64}", re.ASCII)
_LOOKUPS = {"eq": "exact", "gt": "gt", "ge": "gte", "lt": "lt", "le": "lte",
            "like": "like", "ilike": "ilike", "in": "in"}  # fmt: skip
_ORDERED = {"datetime", "decimal", "int", "intstr", "text", "uuid"}
MAX_TEXT = 256


class FilterValueError(FilterSyntaxError):
    pass


@dataclass
class Parsed:
    conditions: list[Condition]
    lower: datetime | None = None  # date_stop bounds, for the 30-day rule
    upper: datetime | None = None


def parse_datetime(raw: str) -> datetime:
    if _ISO_Z.fullmatch(raw):
        return datetime.fromisoformat(raw[:-1]).replace(tzinfo=UTC)
    return parse_utc_datetime(raw)


def _convert(kind: str, raw: str, field: str):
    try:
        if kind == "datetime":
            return parse_datetime(raw)
        if kind == "uuid":
            return parse_uuid(raw)
        if kind == "decimal":
            if not _DECIMAL.fullmatch(raw):
                raise ValueError
            return Decimal(raw)
        if kind in {"int", "intstr"}:
            return parse_int(raw)
        if kind == "bool":
            if raw.lower() not in {"true", "false"}:
                raise ValueError
            return raw.lower() == "true"
    except (ValueError, InvalidOperation):
        raise FilterValueError(
            f"{raw[:40]!r} is not a valid {_KIND_NAMES[kind]} for {field}.", field
        ) from None
    if len(raw) > MAX_TEXT:
        raise FilterValueError(
            f"The value for {field} is longer than {MAX_TEXT} characters.", field
        )
    return raw


_KIND_NAMES = {
    "datetime": "UTC date and time (2026-11-20T14:18:35.000Z or 2026-11-20 14:18:35)",
    "uuid": "UUID",
    "decimal": "decimal number",
    "int": "whole number",
    "intstr": "whole number",
    "bool": "boolean (true or false)",
}


def parse_conditions(clauses: list[Clause]) -> Parsed:
    """The clauses as conditions; a FilterSyntaxError naming the first bad one."""
    result = Parsed([])
    for cond in clauses:
        path, kind = _resolve(cond.field)
        expression = None
        if kind == "json_key":
            # Cast: compare the key's text with text lookups, not JSON ones.
            expression = Cast(KT(path), output_field=TextField())
            kind = "text"
        _check_operator(cond, kind)
        negate = cond.op in {"ne", "nin"}
        if cond.op in {"in", "nin"}:
            if any(v is None for v in cond.values):
                raise FilterValueError(
                    f"null cannot be in a list; use {cond.field} eq null.", cond.field
                )
            lookup, value = "in", [_convert(kind, v, cond.field) for v in cond.values]
        elif cond.values[0] is None:
            if cond.op not in {"eq", "ne"}:
                raise FilterValueError(
                    f"null compares only with eq or ne ({cond.field}).", cond.field
                )
            lookup, value = "isnull", True
        else:
            value = _convert(kind, cond.values[0], cond.field)
            if cond.op in {"like", "ilike"}:
                _check_pattern(cond, value)
            lookup = _LOOKUPS.get(cond.op, "exact")
            if cond.field == "date_stop":
                _track_bounds(result, cond.op, value)
        result.conditions.append(Condition(path, lookup, value, negate, expression))
    return result


def check_range(applied: Parsed) -> None:
    """A date_stop range must lie within retention and span at most 30 days."""
    cutoff = win.retention_line()
    if applied.upper is not None and applied.upper < cutoff:
        raise FilterValueError(rules.FILTER_BEFORE_RETENTION.format(cutoff=cutoff), "date_stop")
    bounded = applied.lower is not None and applied.upper is not None
    if bounded and applied.upper - applied.lower > win.MAX_SPAN:
        raise FilterValueError(rules.FILTER_TOO_WIDE.format(days=win.MAX_SPAN.days), "date_stop")


def _track_bounds(result: Parsed, op: str, value: datetime) -> None:
    if op in {"eq", "gt", "ge"}:
        result.lower = value if result.lower is None else max(result.lower, value)
    if op in {"eq", "lt", "le"}:
        result.upper = value if result.upper is None else min(result.upper, value)


def _resolve(field: str) -> tuple[str, str]:
    if field.startswith("user_data."):
        key = field[len("user_data.") :]
        if not _USER_DATA_KEY.fullmatch(key):
            raise FilterValueError(
                f"{field[:60]!r}: a user_data key is 1-64 letters, digits, _ or -.", "filter"
            )
        return f"user_data__{key}", "json_key"
    if field not in FIELDS:
        raise FilterValueError(f"{field[:60]!r} is not a field of the CDR object.", "filter")
    path, kind = FIELDS[field]
    if kind == "json":
        raise FilterValueError("Filter on a key of user_data: user_data.<key>.", field)
    return path, kind


def _check_pattern(cond: Clause, pattern: str) -> None:
    try:
        check_pattern(pattern)
    except LikePatternError as exc:
        raise FilterValueError(
            f"The {cond.op} pattern for {cond.field} {exc}.", cond.field
        ) from None


def _check_operator(cond: Clause, kind: str) -> None:
    if cond.op in {"like", "ilike"} and kind != "text":
        raise FilterValueError(
            f"{cond.op} works on text fields; {cond.field} is not one.", cond.field
        )
    if cond.op in {"gt", "ge", "lt", "le"} and kind not in _ORDERED:
        raise FilterValueError(f"{cond.field} cannot be compared with {cond.op}.", cond.field)
