"""Exact totals from the hourly counts (calls/store/hour_counts.py): the whole hours of a
window summed from the count table, the two partial hours at its edges counted live."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, connections, router

from calls.models import Call
from calls.query.window import Window
from calls.store.hour_counts import TABLE

HOUR = timedelta(hours=1)
# The count table's columns besides account and hour, and what each is of a call row.
DIMENSIONS = {"product": "product", "call_direction": "call_direction",
              "answered": "(bill_duration > 0)"}  # fmt: skip


def enabled() -> bool:
    return connection.vendor == "postgresql"


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + HOUR


def window_total(account_ids: list[int], window: Window, equal: dict[str, object]) -> int:
    """The exact number of calls of these accounts in the window whose DIMENSIONS equal
    `equal` (any subset): whole hours from the count table, the partial edges live."""
    sql, params = window_total_sql(account_ids, window, equal)
    # The database the router reads calls from (a replica inside cdrapi.replicas.read).
    with connections[router.db_for_read(Call)].cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


def window_total_sql(
    account_ids: list[int], window: Window, equal: dict[str, object]
) -> tuple[str, list]:
    """The one statement `window_total` runs, to run alone or inside a bigger one."""
    # The first hour bucket wholly inside the window. A strict lower bound sitting exactly
    # on an hour excludes that instant, which its bucket [h, h+1h) counts: start one later.
    first = _ceil_hour(window.lower.at)
    if window.lower.strict and first == window.lower.at:
        first += HOUR
    last = window.upper.at.replace(minute=0, second=0, microsecond=0)  # end of whole hours
    lo_op = ">" if window.lower.strict else ">="
    hi_op = "<" if window.upper.strict else "<="
    assert set(equal) <= set(DIMENSIONS), equal
    where_dims = "".join(f" AND {column} = %s" for column in sorted(equal))
    live_dims = "".join(f" AND {DIMENSIONS[column]} = %s" for column in sorted(equal))
    dim_params = [equal[column] for column in sorted(equal)]
    if last <= first:  # no whole hour inside: count it all live
        sql = (
            "SELECT count(*) FROM calls_call WHERE account_id = ANY(%s) "
            f"AND end_time {lo_op} %s AND end_time {hi_op} %s{live_dims}"
        )
        params = [account_ids, window.lower.at, window.upper.at, *dim_params]
    else:
        sql = (
            f"SELECT (SELECT coalesce(sum(calls), 0) FROM {TABLE} WHERE account_id = ANY(%s) "
            f"AND hour >= %s AND hour < %s{where_dims}) + "
            "(SELECT count(*) FROM calls_call WHERE account_id = ANY(%s) AND ("
            f"(end_time {lo_op} %s AND end_time < %s) OR "
            f"(end_time >= %s AND end_time {hi_op} %s)){live_dims})"
        )
        params = [
            account_ids, first, last, *dim_params,
            account_ids, window.lower.at, first, last, window.upper.at, *dim_params,
        ]  # fmt: skip
    return sql, params
