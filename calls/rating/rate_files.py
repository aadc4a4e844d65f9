"""Rates CSV files (`manage.py import_rates`): read and check every line, then apply them.

Columns (a header names them, in any order): `account` (an auth id, empty for the default
table), `direction` (`outbound`/`inbound`), `prefix` (digits of the called number, a
leading `+` ignored, empty for every number), `rate` (per minute, at most 5 decimals) and
`increment` (`60/60`, `1/1`, `30/6`). A file is applied whole or not at all: any bad line
is reported with its reason and nothing changes. Lines upsert by (account, direction,
prefix); with `replace`, a table the file names (an account's, or the default) is made
exactly the file's lines, so rates left out of it are deleted.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from accounts.models import Account
from calls.models import Rate
from calls.models.rate import MAX_PREFIX
from calls.vocabulary.choices import DIRECTIONS
from calls.vocabulary.increments import IncrementError, parse_increment

COLUMNS = ("account", "direction", "prefix", "rate", "increment")
MAX_RATE = Decimal("999999999.99999")  # the column's 14 digits, 5 after the point
_PREFIX_RE = re.compile(r"[0-9]*")

Key = tuple[int | None, str, str]  # (account id or None for the default table, direction, prefix)


@dataclass(frozen=True)
class RateLine:
    line: int
    account_id: int | None
    direction: str
    prefix: str
    rate: Decimal
    first: int
    step: int

    @property
    def key(self) -> Key:
        return (self.account_id, self.direction, self.prefix)


@dataclass
class RatesSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def line(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"deleted {self.deleted}"
        )


@dataclass
class RatesFile:
    lines: list[RateLine] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


class LineError(ValueError):
    pass


def read_rates(text_lines: Iterable[str]) -> RatesFile:
    """Every line checked, each bad one with its line number and a reason."""
    result = RatesFile()
    reader = csv.DictReader(text_lines)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        result.errors.append((1, _header_problem(header, missing, unknown)))
        return result
    reader.fieldnames = header
    raw: list[tuple[int, dict]] = []
    line = reader.line_num + 1
    for row in reader:
        if None in row:
            result.errors.append((line, "more cells than the header has columns"))
        elif any(value is None for value in row.values()):
            result.errors.append((line, "fewer cells than the header has columns"))
        elif any(value.strip() for value in row.values()):  # skip blank lines
            raw.append((line, row))
        line = reader.line_num + 1
    auth_ids = {row["account"].strip() for _, row in raw} - {""}
    accounts = dict(Account.objects.filter(auth_id__in=auth_ids).values_list("auth_id", "id"))
    seen: dict[Key, int] = {}
    for number, row in raw:
        try:
            rate = _line(number, row, accounts)
            if rate.key in seen:
                owner = row["account"].strip() or "(default)"
                raise LineError(
                    f"line {seen[rate.key]} already has account {owner}, direction "
                    f"{rate.direction}, prefix {rate.prefix or '(empty)'}"
                )
            seen[rate.key] = number
            result.lines.append(rate)
        except LineError as exc:
            result.errors.append((number, str(exc)))
    return result


def _header_problem(header: list[str], missing: list[str], unknown: list[str]) -> str:
    if not header:
        return f"the file is empty; its first line names the columns {', '.join(COLUMNS)}"
    if missing:
        return f"the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})"
    if unknown:
        return f"unknown column {unknown[0][:40]!r} (columns: {', '.join(COLUMNS)})"
    return "the header names a column twice"


def _line(number: int, row: dict, accounts: dict[str, int]) -> RateLine:
    auth_id = row["account"].strip()
    if auth_id and auth_id not in accounts:
        raise LineError(f"no account has auth id {auth_id[:40]!r}")
    direction = row["direction"].strip().lower()
    if direction not in DIRECTIONS:
        raise LineError(f"direction {direction[:20]!r} is not outbound or inbound")
    prefix = row["prefix"].strip().removeprefix("+")
    if not _PREFIX_RE.fullmatch(prefix):
        raise LineError(f"prefix {prefix[:30]!r} is not digits (a leading + is allowed)")
    if len(prefix) > MAX_PREFIX:
        raise LineError(f"prefix {prefix[:30]!r} is longer than {MAX_PREFIX} digits")
    text = row["rate"].strip()
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise LineError(f"rate {text[:30]!r} is not a decimal number (e.g. 0.0125)") from None
    if not rate.is_finite() or rate < 0 or rate > MAX_RATE:
        raise LineError(f"rate {text[:30]!r} is not between 0 and {MAX_RATE}")
    if rate != rate.quantize(Decimal("0.00001")):
        raise LineError(f"rate {text[:30]!r} has more than 5 decimals")
    try:
        first, step = parse_increment(row["increment"])
    except IncrementError as exc:
        raise LineError(str(exc)) from None
    return RateLine(number, accounts.get(auth_id), direction, prefix, rate, first, step)


@transaction.atomic
def rates_import(*, lines: list[RateLine], replace: bool = False) -> RatesSummary:
    """Upsert `lines` (one transaction); with `replace`, delete the named tables' others."""
    summary = RatesSummary()
    holders = {line.account_id for line in lines}
    named = Rate.objects.none()
    if None in holders:
        named = Rate.objects.filter(account__isnull=True)
    if holders - {None}:
        named = named | Rate.objects.filter(account_id__in=holders - {None})
    existing: dict[Key, Rate] = {
        (rate.account_id, rate.direction, rate.prefix): rate for rate in named.select_for_update()
    }
    new, changed = [], []
    for line in lines:
        rate = existing.pop(line.key, None)
        if rate is None:
            new.append(
                Rate(
                    account_id=line.account_id,
                    direction=line.direction,
                    prefix=line.prefix,
                    rate=line.rate,
                    first_interval=line.first,
                    next_interval=line.step,
                )
            )
        elif (rate.rate, rate.first_interval, rate.next_interval) == (
            line.rate,
            line.first,
            line.step,
        ):
            summary.unchanged += 1
        else:
            rate.rate, rate.first_interval, rate.next_interval = line.rate, line.first, line.step
            changed.append(rate)
    Rate.objects.bulk_create(new, batch_size=1000)
    # bulk_update skips auto_now: the stamp is set here, so the admin shows the change.
    stamp = Rate._meta.get_field("updated_at").pre_save
    for rate in changed:
        stamp(rate, add=False)
    Rate.objects.bulk_update(
        changed, ["rate", "first_interval", "next_interval", "updated_at"], batch_size=1000
    )
    summary.created, summary.updated = len(new), len(changed)
    if replace and existing:
        ids = [rate.pk for rate in existing.values()]
        for start in range(0, len(ids), 1000):
            Rate.objects.filter(pk__in=ids[start : start + 1000]).delete()
        summary.deleted = len(ids)
    return summary
