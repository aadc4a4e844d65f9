"""Which way an exact total is counted, chosen per request (docs/performance.md, "How
`total_count` is counted"), in this order:

1. **hourly**: conditions on nothing but the hourly counts' dimensions (product,
   direction, answered or not): the window's whole hours summed, its edges live
   (hourly.py). No window (the CarrierX face) is the retained calls, from the line on.
2. **indexed**: a number equality or a number prefix of COUNT_INDEXED_PREFIX_DIGITS or
   more digits, or a parent call: a plain COUNT through the number or parent index reads
   only the calls that match (1-3 ms over 30 days of the benchmark's big account), so it
   is neither remembered nor budgeted.
3. **remembered**: any other filter on the call's own columns, asked before
   (remembered.py): remembered hours read, the rest counted live.
4. **counted**: a plain COUNT of the filtered calls: a filter's first ask (remembering it
   would cost more than counting, and most are never asked again) over at most
   FIRST_ASK_MAX_CALLS calls (more are remembered at once, in steps), COUNT_MEMO off, or a
   filter that compiles to nothing or everything.

Paths 3 and 4 over a window of more than COUNT_BUDGET_MIN_CALLS calls run under the
tenant's counting budget (budget.py): a slot is taken, or the request refused. Path 3
too, because a remembered filter's stale hours are counted live, and writes into past
hours can make all of them stale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DatabaseError, connection
from django.db.models import QuerySet

from calls.counting import budget, hourly, remembered
from calls.counting.remembered import Filter
from calls.worker_cache import WorkerCache


class Restriction(Protocol):
    """A parsed condition (calls/query/core.py's Condition), as the planner reads it."""

    field: str
    lookup: str
    value: Any
    negate: bool
    expression: Any
    dimension: str | None


# Conditions on the answered dimension (bill_duration) that say "answered" (talk time
# billed) or "not answered".
_ANSWERED = {("gt", 0): True, ("gte", 1): True, ("exact", 0): False, ("lte", 0): False,
             ("lt", 1): False}  # fmt: skip
_NUMBERS = {"from_number_norm", "to_number_norm"}
# A first ask over more calls than this is remembered at once, in steps that each finish
# inside the API's statement timeout, instead of one plain COUNT that might not (a
# CarrierX total over 90 days of a big tree: 3M calls). About 400 ms of a serial
# index-only COUNT on the benchmark's machine.
FIRST_ASK_MAX_CALLS = 1_200_000


@dataclass
class Plan:
    """How the total will be counted: `path` (for tests and docs), whether it takes a
    slot of the tenant's budget, and `statement`, which brings what it reads up to date
    first where it must (remembering), to be called inside that slot."""

    path: str
    budgeted: bool
    statement: Callable[[], tuple[str, list]]
    costly: Callable[[], bool] = lambda: True

    def slot(self, tenant: int) -> AbstractContextManager:
        """A slot of the tenant's budget when the plan counts a window of many calls (its
        size remembered by the worker for a minute): taken if free, else a 429."""
        return budget.slot(tenant) if self.budgeted and self.costly() else nullcontext()


def plan(
    *,
    tenant: int,
    account_ids: list[int],
    window: hourly.Window | None,
    conditions: Sequence[Restriction],
    conditioned: QuerySet,
    plain_count: Callable[[], tuple[str, list]],
) -> Plan:
    """The plan for a total on PostgreSQL. `window` is the calls' window cut at the
    retention line (None: wholly before it, nothing to count);
    `conditioned` all calls with the conditions alone applied (compiled into a Filter:
    its key must not depend on the scope or the window);
    `plain_count` the statement of a plain COUNT of the filtered calls."""
    if window is None:
        return Plan("hourly", False, lambda: ("SELECT 0", []))
    equal = countable(conditions)
    if equal is not None:
        sums = lambda: hourly.window_total_sql(account_ids, window, equal)  # noqa: E731
        return Plan("hourly", False, sums)
    if indexed(conditions):
        return Plan("indexed", False, plain_count)
    flt = _filter(conditioned, tenant)
    costly = partial(_costly, account_ids, window)
    if flt is None or not remembered.enabled():
        return Plan("counted", True, plain_count, costly)
    known = remembered.checked_key(account_ids, window, flt)
    read = lambda: remembered.remembered_total_sql(account_ids, window, flt)  # noqa: E731
    if remembered.checked.get(known):
        # Even read from its memory, a filter's stale hours are counted live, and writes
        # can make every hour stale: a big window takes a slot on every path but two.
        return Plan("remembered", True, read, costly)
    plan_ = Plan("counted", True, plain_count, costly)

    def ask_then_count() -> tuple[str, list]:
        """Inside the budget's slot, so that a refused request has written nothing: a
        first ask is counted; a later one remembered, then read."""
        try:
            asks = remembered.note_ask(flt)
        except DatabaseError:  # no primary: count, and remember another time
            asks = 1
        if (asks > 1 or _window_calls(account_ids, window) > FIRST_ASK_MAX_CALLS) and (
            remembered.remember_safely(account_ids, window, flt)
        ):
            plan_.path = "remembered"
            return read()
        return plain_count()  # a first ask, over the tenant's cap, or a step that failed

    plan_.statement = ask_then_count
    return plan_


def countable(conditions: Sequence[Restriction]) -> dict[str, object] | None:
    """The conditions as {dimension: value} if the hourly counts can answer them all."""
    equal: dict[str, object] = {}
    for c in conditions:
        if c.negate or c.expression is not None or c.dimension not in hourly.DIMENSIONS:
            return None
        if c.dimension == "answered" and (c.lookup, c.value) in _ANSWERED:
            field, value = "answered", _ANSWERED[c.lookup, c.value]
        elif c.dimension != "answered" and c.lookup == "exact":
            field, value = c.dimension, c.value
        else:
            return None
        if equal.setdefault(field, value) != value:
            return None  # two different values: leave the nothing-matches case to COUNT
    return equal


def indexed(conditions: Sequence[Restriction]) -> bool:
    """Whether a condition narrows the calls through an index of its own to so few that
    a plain COUNT reads little: a parent call, a number, a long number prefix."""
    for c in conditions:
        if c.negate or c.expression is not None:
            continue
        if c.field == "parent_call_uuid" and c.lookup == "exact":
            return True
        if c.field in _NUMBERS and (
            c.lookup == "exact"
            or (
                c.lookup == "startswith"
                and len(str(c.value)) >= settings.COUNT_INDEXED_PREFIX_DIGITS
            )
        ):
            return True
    return False


def _costly(account_ids: list[int], window: hourly.Window) -> bool:
    """Whether counting the window reads more than COUNT_BUDGET_MIN_CALLS calls."""
    return _window_calls(account_ids, window) > settings.COUNT_BUDGET_MIN_CALLS


def _window_calls(account_ids: list[int], window: hourly.Window) -> int:
    """The calls in the window (from the hourly counts: a few milliseconds; remembered by
    each worker for a minute, by whole hours, so that refusing a tenant over its budget
    stays cheap); 0 when the primary does not answer."""
    key = (tuple(account_ids), *hourly.whole_hours(window))
    known = _window_sizes.get(key)
    if known is None:
        sql, params = hourly.window_total_sql(account_ids, window, {})
        try:
            with connection.cursor() as cur:
                cur.execute(sql, params)
                known = int(cur.fetchone()[0])
        except DatabaseError:
            return 0
        _window_sizes.put(key, known)
    return known


# (accounts, first whole hour, last whole hour) -> calls in the window, per worker.
_window_sizes: WorkerCache[tuple, int] = WorkerCache(10_000, lifetime=lambda: 60)


def _filter(conditioned: QuerySet, tenant: int) -> Filter | None:
    """The conditions as SQL on calls_call's own columns (None if they need a join or
    match nothing or everything: the plain COUNT answers those)."""
    query = conditioned.query
    if len(query.alias_map) != 1:
        return None
    compiler = query.get_compiler(using=conditioned.db)
    try:
        where, params = compiler.compile(query.where)
    except (EmptyResultSet, FullResultSet):
        return None
    return Filter(tenant, where, tuple(params)) if where else None
