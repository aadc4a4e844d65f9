"""Exact call counts without scanning: per account, hour, product, direction, answered.

A PostgreSQL side table (calls_hour_count) is kept by statement-level triggers with
transition tables, so COPY, INSERT ... ON CONFLICT and ORM writes all count, at the cost
of one aggregate per statement. A total over a window is then the sum of the whole hours
inside it plus a live COUNT of the two partial hours at its edges: one query, a few
milliseconds, where COUNT(*) over a big account's week reads ~220k rows.

Every way rows come and go is counted, each by applying the exact delta, so the table
never drifts by itself:
- INSERT, DELETE and UPDATE on calls_call (an UPDATE of end_time, account_id or
  call_direction moves its calls from one key to another; other updates change nothing);
- the same statements run on one partition directly (statement triggers on a partitioned
  table do not fire for its partitions, so every partition carries its own: a new one
  copies them from the default partition, calls/store/partitions.py), TRUNCATE of the
  table or of one partition;
- purge's DETACH and DROP, which fire no trigger: purge forgets the hours of a partition
  in the transaction that detaches it (`forget`), and then every hour before the purge
  line (`trim`).
Deltas are applied in key order, so concurrent multi-hour writes cannot deadlock on the
count rows, and a row that reaches zero is deleted. What is left (a partition detached
or dropped by hand, damage) is what `manage.py check_counts` finds and repairs (check.py).

The table and its trigger functions are the migrations' (0005, 0006, 0008, 0009, and 0011,
which made the functions keep the remembered counts' signatures too: remembered.py); each
migration holds its SQL as it ran. SQLite has no triggers here: there, totals are plain
COUNTs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.db import connection

from calls.counting.hours import HOUR, HOUR_OF, ceil_hour, floor_hour

TABLE = "calls_hour_count"
KEY = "account_id, hour, product, call_direction, answered"
ANSWERED_OF = "bill_duration > 0"  # answered: talk time billed (the everyday filter)
# The count table's columns besides account and hour, and what each is of a call row.
DIMENSIONS = {"product": "product", "call_direction": "call_direction",
              "answered": f"({ANSWERED_OF})"}  # fmt: skip
__all__ = ["HOUR_OF", "KEY", "TABLE"]


class Bound(Protocol):
    at: datetime
    strict: bool


class Window(Protocol):
    """A time window (calls/query/window.py's): each bound strict or not."""

    lower: Bound
    upper: Bound


def enabled() -> bool:
    return connection.vendor == "postgresql"


def whole_hours(window: Window) -> tuple[datetime, datetime]:
    """[first, last): the UTC hour buckets wholly inside the window (empty when
    last <= first).

    A strict lower bound sitting exactly on an hour excludes that instant, which its
    bucket [h, h+1h) counts: start one later."""
    first = ceil_hour(window.lower.at)
    if window.lower.strict and first == window.lower.at:
        first += HOUR
    return first, floor_hour(window.upper.at)


def live_sql(
    account_ids: list[int], window: Window, hours: tuple[datetime, datetime] | None,
    where: str, params: list,
) -> tuple[str, list]:  # fmt: skip
    """A live COUNT of the calls matching `where`: in the whole window when `hours` is
    None, else in its parts outside [first, last) (the partial hours at its edges)."""
    lo_op = ">" if window.lower.strict else ">="
    hi_op = "<" if window.upper.strict else "<="
    if hours is None:
        span = f"end_time {lo_op} %s AND end_time {hi_op} %s"
        span_params = [window.lower.at, window.upper.at]
    else:
        span = (f"((end_time {lo_op} %s AND end_time < %s) OR "
                f"(end_time >= %s AND end_time {hi_op} %s))")  # fmt: skip
        span_params = [window.lower.at, hours[0], hours[1], window.upper.at]
    sql = f"SELECT count(*) FROM calls_call WHERE account_id = ANY(%s) AND {span}{where}"
    return sql, [account_ids, *span_params, *params]


def window_total_sql(
    account_ids: list[int], window: Window, equal: dict[str, object]
) -> tuple[str, list]:
    """The exact number of calls of these accounts in the window whose DIMENSIONS equal
    `equal` (any subset): whole hours from the count table, the partial edges live."""
    assert set(equal) <= set(DIMENSIONS), equal
    where_dims = "".join(f" AND {column} = %s" for column in sorted(equal))
    live_dims = "".join(f" AND {DIMENSIONS[column]} = %s" for column in sorted(equal))
    dim_params = [equal[column] for column in sorted(equal)]
    first, last = whole_hours(window)
    if last <= first:  # no whole hour inside: count it all live
        return live_sql(account_ids, window, None, live_dims, dim_params)
    edges, edge_params = live_sql(account_ids, window, (first, last), live_dims, dim_params)
    sql = (
        f"SELECT (SELECT coalesce(sum(calls), 0) FROM {TABLE} WHERE account_id = ANY(%s) "
        f"AND hour >= %s AND hour < %s{where_dims}) + ({edges})"
    )
    return sql, [account_ids, first, last, *dim_params, *edge_params]


def window_total(account_ids: list[int], window: Window, equal: dict[str, object]) -> int:
    """`window_total_sql`, run on the default database."""
    sql, params = window_total_sql(account_ids, window, equal)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


def forget(lo: datetime, hi: datetime) -> int:
    """Delete the counts (and remembered counts) of every hour in [lo, hi); return how
    many count rows went.

    For calls that left without firing a trigger (a detached or dropped partition); the
    caller runs it in the transaction that removes them.
    """
    with connection.cursor() as cur:
        cur.execute(f"SELECT {TABLE}_forget(%s, %s)", [lo, hi])
        return int(cur.fetchone()[0])


def trim(line: datetime) -> int:
    """After a purge to `line`: delete the counts of every hour wholly before it, and any
    zero row; return how many rows went."""
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE hour < %s OR calls = 0", [floor_hour(line)])
        return cur.rowcount
