"""Exact totals from the hourly counts (calls/store/hour_counts.py): the whole hours of a
window summed from the count table, the two partial hours at its edges counted live."""

from __future__ import annotations

import hashlib
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, router, transaction

from calls.models import Call
from calls.query.window import Window
from calls.store import count_memo
from calls.store.hour_counts import TABLE
from calls.worker_cache import WorkerCache

_log = logging.getLogger("cdrapi.counts")
HOUR = timedelta(hours=1)
# The count table's columns besides account and hour, and what each is of a call row.
DIMENSIONS = {"product": "product", "call_direction": "call_direction",
              "answered": "(bill_duration > 0)"}  # fmt: skip


def enabled() -> bool:
    return connection.vendor == "postgresql"


def memo_enabled() -> bool:
    return enabled() and settings.COUNT_MEMO


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


def _whole_hours(window: Window) -> tuple[datetime, datetime]:
    """[first, last): the hour buckets wholly inside the window (empty when last <= first).

    A strict lower bound sitting exactly on an hour excludes that instant, which its
    bucket [h, h+1h) counts: start one later."""
    first = _ceil_hour(window.lower.at)
    if window.lower.strict and first == window.lower.at:
        first += HOUR
    return first, window.upper.at.replace(minute=0, second=0, microsecond=0)


def _live_sql(
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
    """The one statement `window_total` runs, to run alone or inside a bigger one."""
    assert set(equal) <= set(DIMENSIONS), equal
    where_dims = "".join(f" AND {column} = %s" for column in sorted(equal))
    live_dims = "".join(f" AND {DIMENSIONS[column]} = %s" for column in sorted(equal))
    dim_params = [equal[column] for column in sorted(equal)]
    first, last = _whole_hours(window)
    if last <= first:  # no whole hour inside: count it all live
        return _live_sql(account_ids, window, None, live_dims, dim_params)
    edges, edge_params = _live_sql(account_ids, window, (first, last), live_dims, dim_params)
    sql = (
        f"SELECT (SELECT coalesce(sum(calls), 0) FROM {TABLE} WHERE account_id = ANY(%s) "
        f"AND hour >= %s AND hour < %s{where_dims}) + ({edges})"
    )
    return sql, [account_ids, first, last, *dim_params, *edge_params]


# Remembered filter counts (calls/store/count_memo.py): any filter, exact.

# Calls counted per statement when remembering: each statement stays far below the API's
# statement timeout (about 15-30 ms for 50k calls read index-only), so a first 30-day
# total is taken in steps that each finish, and what a step remembered is kept.
REMEMBER_BATCH_CALLS = 50_000


@dataclass(frozen=True)
class Filter:
    """A filter as SQL on calls_call's own columns, and the key its counts are kept by."""

    where: str
    params: tuple

    @property
    def key(self) -> UUID:
        text = f"{self.where}\x00{self.params!r}".encode()
        return UUID(bytes=hashlib.blake2b(text, digest_size=16).digest())


_SPAN = "account_id = ANY(%s) AND hour >= %s AND hour < %s"


def _hours_sql(flt: Filter, pairs: bool = False) -> str:
    """FROM ... giving, as `t`, each (account, hour) with calls in a span (parameters:
    accounts, first hour, end hour, three times; with `pairs`, after the first three the
    accounts and hours of the pairs wanted): its signature now (`total`, `epoch`), the
    filter's remembered count (`calls`) and whether that memory is `fresh`.

    One GROUP BY over the three tables, each read by its key over the span: joins let
    the planner misjudge a new table's size (a merge join on the account alone compared
    1.5M pairs for 4,200 rows)."""
    only = (" AND (account_id, hour) IN (SELECT * FROM unnest(%s::bigint[], "
            "%s::timestamptz[]))") if pairs else ""  # fmt: skip
    return f"""FROM (SELECT account_id, hour, sum(total) AS total, max(m_calls) AS calls,
            coalesce(max(e_epoch), 0) AS epoch,
            coalesce(max(m_total) = sum(total) AND max(m_epoch) = coalesce(max(e_epoch), 0),
                     false) AS fresh
        FROM (SELECT account_id, hour, calls AS total, NULL::bigint AS m_calls,
                NULL::bigint AS m_total, NULL::bigint AS m_epoch, NULL::bigint AS e_epoch
                FROM {TABLE} WHERE {_SPAN}{only}
            UNION ALL SELECT account_id, hour, 0, calls, total, epoch, NULL
                FROM {count_memo.MEMO} WHERE {_SPAN} AND filter_key = '{flt.key}'
            UNION ALL SELECT account_id, hour, 0, NULL, NULL, NULL, epoch
                FROM {count_memo.EPOCH} WHERE {_SPAN}) u
        GROUP BY account_id, hour HAVING sum(total) > 0) t"""


def _span_params(account_ids: list[int], lo: datetime, hi: datetime, pairs=None) -> list:
    span = [account_ids, lo, hi]
    return [*span, *(pairs or []), *span, *span]


def _hour_count_sql(flt: Filter) -> str:
    """The live count of the filter's calls in the hour of `t` (an index range scan)."""
    return ("(SELECT count(*) FROM calls_call WHERE calls_call.account_id = t.account_id "
            "AND calls_call.end_time >= t.hour AND calls_call.end_time < t.hour + interval "
            f"'1 hour' AND ({flt.where}))")  # fmt: skip


def remembered_total_sql(account_ids: list[int], window: Window, flt: Filter) -> tuple[str, list]:
    """The exact number of the accounts' calls in the window matching `flt`: remembered
    hours whose signature is unchanged, the others and the partial edges counted live."""
    where = f" AND ({flt.where})"
    first, last = _whole_hours(window)
    if last <= first:
        return _live_sql(account_ids, window, None, where, list(flt.params))
    edges, edge_params = _live_sql(account_ids, window, (first, last), where, list(flt.params))
    sql = (
        f"SELECT (SELECT coalesce(sum(CASE WHEN t.fresh THEN t.calls ELSE "
        f"{_hour_count_sql(flt)} END), 0) {_hours_sql(flt)}) + ({edges})"
    )
    return sql, [*flt.params, *_span_params(account_ids, first, last), *edge_params]


def remember(account_ids: list[int], window: Window, flt: Filter) -> int:
    """Count and remember, on the primary, the window's whole hours whose memory of `flt`
    is missing or stale; return how many hours were counted.

    In statements of about REMEMBER_BATCH_CALLS calls, each committed on its own, so what
    one remembered stays if a later one fails. A count and the signature it is kept with
    are read in one statement, so from one snapshot."""
    first, last = _whole_hours(window)
    if last <= first:
        return 0
    with _own_statement(), connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute(
            f"WITH used AS ({count_memo.use_sql()}) "
            f"SELECT t.account_id, t.hour, t.total {_hours_sql(flt)} "
            "WHERE NOT t.fresh ORDER BY t.hour DESC",
            [flt.key, *_span_params(account_ids, first, last)],
        )
        stale = cur.fetchall()
    for batch in _runs(stale):
        with _own_statement(), connections[DEFAULT_DB_ALIAS].cursor() as cur:
            _remember_hours(cur, batch, flt)
    return len(stale)


def _runs(stale: list[tuple[int, datetime, int]]) -> list[list[tuple[int, datetime]]]:
    """The stale hours (newest first) in batches of about REMEMBER_BATCH_CALLS calls,
    each a run of adjacent hours: a batch is counted by reading its time range once."""
    runs: list[list[tuple[int, datetime]]] = []
    calls = 0
    for account_id, hour, total in stale:
        if not runs or calls >= REMEMBER_BATCH_CALLS or runs[-1][-1][1] - hour > HOUR:
            runs.append([])
            calls = 0
        runs[-1].append((account_id, hour))
        calls += total
    return runs


def remember_safely(account_ids: list[int], window: Window, flt: Filter) -> None:
    """`remember`, unless this worker did it for the same filter, accounts and hours in
    the last COUNT_MEMO_CHECK_SECONDS, and never failing the request: the total counts
    stale hours live anyway (written meanwhile; a primary that is down while a replica
    serves reads; a step cut by the timeout)."""
    key = (flt.key, tuple(account_ids), *_whole_hours(window))
    if _checked.get(key):
        return
    try:
        remember(account_ids, window, flt)
    except DatabaseError:
        _log.warning("filter counts not remembered", exc_info=True)
        return
    _checked.put(key, True)


# (filter key, accounts, first hour, last hour) this worker remembered lately.
_checked: WorkerCache[tuple, bool] = WorkerCache(
    10_000, lifetime=lambda: settings.COUNT_MEMO_CHECK_SECONDS
)


def _own_statement():
    """Outside a transaction a statement commits itself; inside one (a test, a caller's
    atomic block), a savepoint keeps a failure from spoiling the caller's transaction."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return transaction.atomic(using=DEFAULT_DB_ALIAS)
    return nullcontext()


def _remember_hours(cur, batch: list[tuple[int, datetime]], flt: Filter) -> None:
    """Count the filter's calls of a run of hours in one pass over its range (grouped by
    hour, index-only), and remember each with its signature, from the same snapshot."""
    accounts = sorted({a for a, _ in batch})
    lo, hi = min(h for _, h in batch), max(h for _, h in batch) + HOUR
    cur.execute(
        f"""INSERT INTO {count_memo.MEMO} AS m
            (account_id, filter_key, hour, calls, total, epoch)
        SELECT t.account_id, '{flt.key}'::uuid, t.hour, coalesce(c.n, 0), t.total, t.epoch
        {_hours_sql(flt, pairs=True)}
        LEFT JOIN (SELECT account_id, {count_memo.HOUR_OF} AS hour, count(*) AS n
            FROM calls_call WHERE account_id = ANY(%s) AND end_time >= %s AND end_time < %s
            AND ({flt.where}) GROUP BY 1, 2) c ON c.account_id = t.account_id AND c.hour = t.hour
        ORDER BY t.account_id, t.hour
        ON CONFLICT (account_id, filter_key, hour) DO UPDATE SET calls = EXCLUDED.calls,
            total = EXCLUDED.total, epoch = EXCLUDED.epoch""",
        [
            *_span_params(accounts, lo, hi, [[a for a, _ in batch], [h for _, h in batch]]),
            accounts,
            lo,
            hi,
            *flt.params,
        ],
    )
