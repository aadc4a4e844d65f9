"""Pricing parsed rows before they are stored: one query per batch, never one per row.

A row that carried its own price (the `PRICED` marker parse_records sets) keeps it. Any
other row is priced from the rate tables: the called number's longest matching prefix in
the nearest table up the account tree (the call's account, then its parent, …, then the
default table), with the call's direction in the key. A table nearer the account wins even
when a farther one has a longer prefix: an account's own rates are its contract, the
default a fallback. No matching rate: amount 0, rate 0, billed duration as parsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from accounts.models import Account
from calls.models import Rate
from calls.models.rate import MAX_PREFIX
from calls.vocabulary.increments import amount, billed_seconds

# Not a column: True when the record carried its own price, which pricing then keeps
# (parse_records sets it; price_rows pops it before the rows are stored).
PRICED = "_priced"
_DEFAULT = None  # the key of the default table in the per-account chains
_CENT = Decimal("0.00001")  # SQLite hands decimals back as floats


@dataclass(frozen=True, slots=True)
class Tariff:
    rate: Decimal
    first: int
    step: int


Table = dict[tuple[str, str], Tariff]  # (direction, prefix) -> tariff


MAX_AMOUNT = Decimal("999999999.99999")  # total_amount's 14 digits, 5 after the point


class Unpriceable(Exception):
    """Rows whose amount is beyond what the store holds (call_uuid -> reason); raised
    before any row is changed, so the caller can refuse them and price the rest."""

    def __init__(self, reasons: dict) -> None:
        super().__init__(f"{len(reasons)} row(s) priced beyond {MAX_AMOUNT}")
        self.reasons = reasons


def price_rows(rows: Sequence[dict]) -> None:
    """Fill billed_duration, total_amount and total_rate of each unpriced row, in place.

    Pops the `PRICED` marker from every row (it is not a column), priced or not. Raises
    Unpriceable, changing nothing, when a row's amount would overflow the column (a long
    call at a steep rate: the database would refuse the whole batch).
    """
    todo = [row for row in rows if not row.get(PRICED)]
    prices: list[tuple[dict, int | None, Decimal, Decimal]] = []
    if todo:
        chains = _chains({row["account_id"] for row in todo}, _candidates(todo))
        refused = {}
        for row in todo:
            tariff = _match(chains[row["account_id"]], row["call_direction"], row["to_number_norm"])
            if tariff is None:
                prices.append((row, None, Decimal(0), Decimal(0)))
                continue
            billed = billed_seconds(row["bill_duration"], tariff.first, tariff.step)
            total = amount(billed, tariff.rate)
            if total > MAX_AMOUNT:
                refused[row["call_uuid"]] = (
                    f"total_amount would be {total} ({billed} s at {tariff.rate} a minute), "
                    f"beyond the store's {MAX_AMOUNT}"
                )
            prices.append((row, billed, total, tariff.rate))
        if refused:
            raise Unpriceable(refused)
    for row in rows:
        row.pop(PRICED, None)
    for row, billed, total, rate in prices:
        if billed is not None:
            row["billed_duration"] = billed
        row["total_amount"], row["total_rate"] = total, rate


def _match(chain: list[Table], direction: str, number: str) -> Tariff | None:
    for table in chain:
        for length in range(min(len(number), MAX_PREFIX), -1, -1):
            tariff = table.get((direction, number[:length]))
            if tariff is not None:
                return tariff
    return None


def _candidates(rows: Iterable[dict]) -> list[str]:
    """Every prefix of every called number in the batch (the empty one included)."""
    found = {""}
    for row in rows:
        number = row["to_number_norm"][:MAX_PREFIX]
        found.update(number[:length] for length in range(1, len(number) + 1))
    return sorted(found)


def _chains(account_ids: set[int], prefixes: list[str]) -> dict[int, list[Table]]:
    """For each account, its tables nearest first (itself, its parent, …, the default),
    holding only the rates whose prefix some called number of the batch starts with."""
    accounts, rates = Account._meta.db_table, Rate._meta.db_table
    ids = sorted(account_ids)
    marks = ", ".join(["%s"] * len(ids))
    if connection.vendor == "postgresql":
        in_prefixes, prefix_param = "r.prefix = ANY(%s)", prefixes
    else:  # SQLite: one parameter however many prefixes (its variable limit is low)
        in_prefixes = "r.prefix IN (SELECT value FROM json_each(%s))"
        prefix_param = json.dumps(prefixes)
    sql = (
        "WITH RECURSIVE chain(account_id, holder_id, depth) AS ("
        f"SELECT id, id, 0 FROM {accounts} WHERE id IN ({marks}) "
        "UNION ALL SELECT c.account_id, a.parent_id, c.depth + 1 "
        f"FROM chain c JOIN {accounts} a ON a.id = c.holder_id "
        "WHERE a.parent_id IS NOT NULL AND c.depth < 32) "
        "SELECT c.account_id, c.depth, r.direction, r.prefix, r.rate, r.first_interval, "
        f"r.next_interval FROM chain c JOIN {rates} r ON r.account_id = c.holder_id "
        f"WHERE {in_prefixes} "
        "UNION ALL SELECT NULL, NULL, r.direction, r.prefix, r.rate, r.first_interval, "
        f"r.next_interval FROM {rates} r WHERE r.account_id IS NULL AND {in_prefixes}"
    )
    tables: dict[tuple[int | None, int], Table] = {}
    default: Table = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, prefix_param, prefix_param])
        for account_id, depth, direction, prefix, rate, first, step in cursor.fetchall():
            tariff = Tariff(Decimal(str(rate)).quantize(_CENT), first, step)
            if account_id is _DEFAULT:
                default[(direction, prefix)] = tariff
            else:
                tables.setdefault((account_id, depth), {})[(direction, prefix)] = tariff
    chains: dict[int, list[Table]] = {}
    for account_id in ids:
        own = sorted((key for key in tables if key[0] == account_id), key=lambda key: key[1])
        chains[account_id] = [tables[key] for key in own] + [default]
    return chains
