"""Remembered filter counts: an exact total for any filter without reading the window.

The hourly counts (hourly.py) answer totals for a few dimensions. Every other filter
(number prefixes, duration ranges, hangup cause and source, STIR...) is an index-only
COUNT over the window. A filter asked again is remembered: each whole hour it was
counted over, per account:

    calls_count_memo (filter_key, account_id, hour) -> calls matching, and the hour's
                     signature when they were counted: its total and its epoch
    calls_count_filter (filter_key) -> its tenant, the filter as SQL, how often and when
                     it was last asked, how many memo rows it holds

A remembered hour is used while its signature is unchanged, so a total stays exact:
- an INSERT raises the hour's total (calls_hour_count), so its remembered counts lapse;
- a DELETE or UPDATE can leave the total as it was (a call deleted and another added, a
  cause corrected), so they raise the hour's epoch (calls_hour_epoch, by the count
  triggers: rare writes, one upsert per hour they touch);
- TRUNCATE and purge's DETACH forget the hours' memories outright (they wait for every
  statement reading the partition, so no count taken before can be written after).
The count and the signature are read in one statement, from one snapshot.

What it may cost is bounded (docs/performance.md, "Remembered filter counts: bounded"):
- a filter key belongs to one tenant (the calling account: its hash includes it), and a
  tenant's filters hold at most COUNT_MEMO_MAX_ROWS memo rows: remembering a new one
  first forgets the tenant's least recently asked filters (`make_room`);
- a filter is remembered on its second ask (`note_ask`): a number looked up once costs a
  row in calls_count_filter, not a row per account and hour;
- purge forgets the hours past the retention line and every filter nobody asked for in
  COUNT_MEMO_UNUSED_DAYS, in bounded batches through the memo's key (`forget_steps`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction

from calls.counting import hourly
from calls.counting.hours import HOUR, HOUR_OF, floor_hour
from calls.worker_cache import WorkerCache

_log = logging.getLogger("cdrapi.counts")
MEMO = "calls_count_memo"
EPOCH = "calls_hour_epoch"
FILTERS = "calls_count_filter"

# Calls counted per statement when remembering: each statement stays far below the API's
# statement timeout, so a first 30-day total is taken in steps that each finish, and what
# a step remembered is kept.
REMEMBER_BATCH_CALLS = 150_000
# Memo rows deleted per statement when forgetting (purge, eviction): short statements.
FORGET_BATCH_ROWS = 50_000


def enabled() -> bool:
    return hourly.enabled() and settings.COUNT_MEMO


@dataclass(frozen=True)
class Filter:
    """A filter as SQL on calls_call's own columns, the tenant asking, and the key its
    counts are kept by (one tenant's: their sizes are bounded per tenant)."""

    tenant: int
    where: str
    params: tuple

    @property
    def key(self) -> UUID:
        text = f"{self.tenant}\x00{self.where}\x00{self.params!r}".encode()
        return UUID(bytes=hashlib.blake2b(text, digest_size=16).digest())

    def literal(self) -> str:
        """The filter with its parameters in place: what check_counts --memo re-counts."""
        return connection.ops.compose_sql(self.where, list(self.params))


# Reading

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
                FROM {hourly.TABLE} WHERE {_SPAN}{only}
            UNION ALL SELECT account_id, hour, 0, calls, total, epoch, NULL
                FROM {MEMO} WHERE filter_key = '{flt.key}' AND {_SPAN}
            UNION ALL SELECT account_id, hour, 0, NULL, NULL, NULL, epoch
                FROM {EPOCH} WHERE {_SPAN}) u
        GROUP BY account_id, hour HAVING sum(total) > 0) t"""


def _span_params(account_ids: list[int], lo: datetime, hi: datetime, pairs=None) -> list:
    span = [account_ids, lo, hi]
    return [*span, *(pairs or []), *span, *span]


def _hour_count_sql(flt: Filter) -> str:
    """The live count of the filter's calls in the hour of `t` (an index range scan)."""
    return ("(SELECT count(*) FROM calls_call WHERE calls_call.account_id = t.account_id "
            "AND calls_call.end_time >= t.hour AND calls_call.end_time < t.hour + interval "
            f"'1 hour' AND ({flt.where}))")  # fmt: skip


def remembered_total_sql(
    account_ids: list[int], window: hourly.Window, flt: Filter
) -> tuple[str, list]:
    """The exact number of the accounts' calls in the window matching `flt`: remembered
    hours whose signature is unchanged, the others and the partial edges counted live."""
    where = f" AND ({flt.where})"
    first, last = hourly.whole_hours(window)
    if last <= first:
        return hourly.live_sql(account_ids, window, None, where, list(flt.params))
    edges, edge_params = hourly.live_sql(
        account_ids, window, (first, last), where, list(flt.params)
    )
    sql = (
        f"SELECT (SELECT coalesce(sum(CASE WHEN t.fresh THEN t.calls ELSE "
        f"{_hour_count_sql(flt)} END), 0) {_hours_sql(flt)}) + ({edges})"
    )
    return sql, [*flt.params, *_span_params(account_ids, first, last), *edge_params]


# Asking and remembering


def note_ask(flt: Filter) -> int:
    """Note that the tenant asked for `flt` now; return how many times it has (1: the
    first ask). One upsert on the primary, by the filter's key. A new filter past the
    tenant's COUNT_MEMO_MAX_FILTERS makes the tenant forget its least recently asked
    filters, with what they remember, so these rows are bounded too (a filter that holds
    one memo row each must not escape the cap)."""
    with _own_statement(), connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute(
            f"""INSERT INTO {FILTERS} AS f (tenant_id, filter_key, sql, asks, used)
            VALUES (%s, %s, %s, 1, clock_timestamp())
            ON CONFLICT (filter_key) DO UPDATE SET asks = f.asks + 1, used = clock_timestamp()
            RETURNING asks""",
            [flt.tenant, flt.key, flt.literal()],
        )
        asks = int(cur.fetchone()[0])
        if asks == 1:
            cur.execute(
                f"""SELECT filter_key, rows FROM {FILTERS} WHERE tenant_id = %s
                ORDER BY used DESC OFFSET %s""",
                [flt.tenant, settings.COUNT_MEMO_MAX_FILTERS],
            )
            past = cur.fetchall()
    for _ in _forget_filters(past if asks == 1 else [], drop=True):
        pass
    return asks


def remember(account_ids: list[int], window: hourly.Window, flt: Filter) -> int | None:
    """Count and remember, on the primary, the window's whole hours whose memory of `flt`
    is missing or stale; return how many hours were counted, or None when the filter
    cannot be remembered within the tenant's COUNT_MEMO_MAX_ROWS (then nothing is).

    In statements of about REMEMBER_BATCH_CALLS calls, each committed on its own, so what
    one remembered stays if a later one fails. A count and the signature it is kept with
    are read in one statement, so from one snapshot."""
    first, last = hourly.whole_hours(window)
    if last <= first:
        return 0
    with _own_statement(), connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute(
            f"SELECT t.account_id, t.hour, t.total, t.calls IS NULL {_hours_sql(flt)} "
            "WHERE NOT t.fresh ORDER BY t.hour DESC",
            _span_params(account_ids, first, last),
        )
        stale = cur.fetchall()
    if not stale:
        return 0
    if not make_room(flt, sum(1 for *_, new in stale if new)):
        return None
    for batch in _runs(stale):
        with _own_statement(), connections[DEFAULT_DB_ALIAS].cursor() as cur:
            _remember_hours(cur, batch, flt)
    with _own_statement(), connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute(
            f"UPDATE {FILTERS} SET rows = (SELECT count(*) FROM {MEMO} WHERE filter_key = %s) "
            "WHERE filter_key = %s",
            [flt.key, flt.key],
        )
    return len(stale)


def make_room(flt: Filter, rows: int) -> bool:
    """Make room for `rows` more memo rows of `flt` within its tenant's
    COUNT_MEMO_MAX_ROWS, forgetting the tenant's least recently asked other filters;
    False when even all of the room would not hold them."""
    cap = settings.COUNT_MEMO_MAX_ROWS
    if rows > cap:
        return False
    with _own_statement(), connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute(
            f"SELECT filter_key, rows FROM {FILTERS} WHERE tenant_id = %s AND rows > 0 "
            "ORDER BY (filter_key = %s) DESC, used DESC",
            [flt.tenant, flt.key],
        )
        held = cur.fetchall()
    kept, evict = 0, []
    for key, n in held:
        if key == flt.key or kept + n + rows <= cap:
            kept += n
        else:
            evict.append((key, n))
    if kept + rows > cap:  # its own rows, and what it asks for, overflow: start it afresh
        evict.append((flt.key, kept))
    for _ in _forget_filters(evict, drop=False):
        pass
    return True


def _runs(stale: list[tuple]) -> list[list[tuple[int, datetime]]]:
    """The stale hours (newest first) in batches of about REMEMBER_BATCH_CALLS calls,
    each a run of adjacent hours: a batch is counted by reading its time range once."""
    runs: list[list[tuple[int, datetime]]] = []
    calls = 0
    for account_id, hour, total, _ in stale:
        if not runs or calls >= REMEMBER_BATCH_CALLS or runs[-1][-1][1] - hour > HOUR:
            runs.append([])
            calls = 0
        runs[-1].append((account_id, hour))
        calls += total
    return runs


def _own_statement():
    """Outside a transaction a statement commits itself; inside one (a test, a caller's
    atomic block), a savepoint keeps a failure from spoiling the caller's transaction."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return transaction.atomic(using=DEFAULT_DB_ALIAS)
    return nullcontext()


def _remember_hours(cur, batch: list[tuple[int, datetime]], flt: Filter) -> None:
    """Count the filter's calls of a run of hours in one pass over its range (grouped by
    hour, index-only), with each hour's signature, in one SELECT (one snapshot, and one
    the planner may run with parallel workers, which INSERT ... SELECT may not); then
    remember them. A count stored after a write is stored with the signature of its own
    snapshot: stale, never read."""
    accounts = sorted({a for a, _ in batch})
    lo, hi = min(h for _, h in batch), max(h for _, h in batch) + HOUR
    cur.execute(
        f"""SELECT t.account_id, t.hour, coalesce(c.n, 0), t.total, t.epoch
        {_hours_sql(flt, pairs=True)}
        LEFT JOIN (SELECT account_id, {HOUR_OF} AS hour, count(*) AS n
            FROM calls_call WHERE account_id = ANY(%s) AND end_time >= %s AND end_time < %s
            AND ({flt.where}) GROUP BY 1, 2) c
            ON c.account_id = t.account_id AND c.hour = t.hour""",
        [
            *_span_params(accounts, lo, hi, [[a for a, _ in batch], [h for _, h in batch]]),
            accounts,
            lo,
            hi,
            *flt.params,
        ],
    )
    counted = sorted(cur.fetchall())
    if not counted:
        return
    cur.execute(
        f"""INSERT INTO {MEMO} AS m (filter_key, account_id, hour, calls, total, epoch)
        SELECT %s, * FROM unnest(%s::bigint[], %s::timestamptz[], %s::bigint[], %s::bigint[],
                                 %s::bigint[])
        ON CONFLICT (filter_key, account_id, hour) DO UPDATE SET calls = EXCLUDED.calls,
            total = EXCLUDED.total, epoch = EXCLUDED.epoch""",
        [flt.key, *(list(column) for column in zip(*counted, strict=True))],
    )


def remember_safely(account_ids: list[int], window: hourly.Window, flt: Filter) -> bool:
    """`remember`, never failing the request; whether the memory now covers the window's
    hours (the total counts stale hours live anyway: written meanwhile; a primary that is
    down while a replica serves reads; a step cut by the timeout)."""
    try:
        done = remember(account_ids, window, flt)
    except DatabaseError:
        _log.warning("filter counts not remembered", exc_info=True)
        return False
    if done is None:
        return False
    checked.put(checked_key(account_ids, window, flt), True)
    return True


def checked_key(account_ids: list[int], window: hourly.Window, flt: Filter) -> tuple:
    return (flt.key, tuple(account_ids), *hourly.whole_hours(window))


# (filter key, accounts, first hour, last hour) this worker brought up to date lately:
# asked again within COUNT_MEMO_CHECK_SECONDS, the memory is read without a check.
checked: WorkerCache[tuple, bool] = WorkerCache(
    10_000, lifetime=lambda: settings.COUNT_MEMO_CHECK_SECONDS
)


# Forgetting


def _batches(held: list[tuple[UUID, int]]) -> Iterator[list[UUID]]:
    """Filter keys in groups holding about FORGET_BATCH_ROWS memo rows each."""
    batch: list[UUID] = []
    size = 0
    for key, rows in held:
        if batch and size + rows > FORGET_BATCH_ROWS:
            yield batch
            batch, size = [], 0
        batch.append(key)
        size += rows
    if batch:
        yield batch


def _forget_filters(held: list[tuple[UUID, int]], *, drop: bool) -> Iterator[int]:
    """Forget the memories of these filters ((key, rows held)), through the memo's key,
    in statements of at most FORGET_BATCH_ROWS rows; yield the rows each removed. With
    `drop`, their rows in calls_count_filter go too (forgotten for good), else they are
    kept with their asks (evicted: remembered again when asked again)."""
    with connection.cursor() as cur:
        for keys in _batches(held):
            while True:
                cur.execute(
                    f"DELETE FROM {MEMO} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {MEMO} "
                    "WHERE filter_key = ANY(%s) LIMIT %s))",
                    [keys, FORGET_BATCH_ROWS],
                )
                yield cur.rowcount
                if cur.rowcount < FORGET_BATCH_ROWS:
                    break
            if drop:
                cur.execute(f"DELETE FROM {FILTERS} WHERE filter_key = ANY(%s)", [keys])
            else:
                cur.execute(f"UPDATE {FILTERS} SET rows = 0 WHERE filter_key = ANY(%s)", [keys])


def forget_steps(line: datetime, unused_days: int) -> Iterator[int]:
    """After a purge to `line`: forget the hours wholly before it, and every filter not
    asked for in `unused_days` days; in short statements, each yielding the rows it
    removed, so that the caller can stop between any two and run again later."""
    floor = floor_hour(line)
    with connection.cursor() as cur:
        for table in (MEMO, EPOCH):
            while True:
                cur.execute(
                    f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} "
                    "WHERE hour < %s LIMIT %s))",
                    [floor, FORGET_BATCH_ROWS],
                )
                yield cur.rowcount
                if cur.rowcount < FORGET_BATCH_ROWS:
                    break
        while True:
            cur.execute(
                f"SELECT filter_key, rows FROM {FILTERS} "
                "WHERE used < now() - make_interval(days => %s) ORDER BY used LIMIT 1000",
                [unused_days],
            )
            held = cur.fetchall()
            if not held:
                return
            yield from _forget_filters(held, drop=True)


def forget(keys: set[UUID]) -> int:
    """Forget these filters' memories (a repair): asked again, they are counted again."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT filter_key, rows FROM {FILTERS} WHERE filter_key = ANY(%s)", [list(keys)]
        )
        held = cur.fetchall()
    return sum(_forget_filters(held, drop=False))


def clear() -> None:
    """Forget every remembered count (after a repair of the hourly counts)."""
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {MEMO}")
        cur.execute(f"UPDATE {FILTERS} SET rows = 0 WHERE rows > 0")
