"""check_counts: compare the hourly counts with live counts a day at a time, and repair
the differences in short transactions (hourly.py says why they can arise at all); with
--memo, re-count a sample of the remembered filter counts (remembered.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from django.db import connection, transaction

from calls.counting import remembered
from calls.counting.hourly import ANSWERED_OF, KEY, TABLE
from calls.counting.hours import DAY, HOUR_OF, floor_hour


@dataclass(frozen=True)
class Difference:
    account_id: int
    hour: datetime
    product: str
    call_direction: str
    answered: bool
    counted: int  # in the count table (0: no row)
    live: int  # rows in calls_call (0: none)


def _batches(since: datetime, now: datetime) -> Iterator[tuple[datetime, datetime | None]]:
    """[lo, hi) ranges of at most a UTC day from the hour of `since`; the last one is
    open-ended (calls dated in the future are counted too)."""
    lo = floor_hour(since)
    end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + DAY
    while lo < end:
        hi = min(lo.replace(hour=0) + DAY, end)
        yield lo, hi
        lo = hi
    yield lo, None


def _compare(lo: datetime, hi: datetime | None) -> list[Difference]:
    """Where the count table and a live GROUP BY disagree in [lo, hi), zero rows included;
    both sides read in one statement, so from one snapshot."""
    live_upper = "AND end_time < %(hi)s" if hi else ""
    kept_upper = "AND hour < %(hi)s" if hi else ""
    sql = f"""
        WITH live AS (
            SELECT account_id, {HOUR_OF} AS hour, product, call_direction,
                {ANSWERED_OF} AS answered, count(*) AS calls
            FROM calls_call WHERE end_time >= %(lo)s {live_upper} GROUP BY {KEY}),
        kept AS (SELECT {KEY}, calls FROM {TABLE} WHERE hour >= %(lo)s {kept_upper})
        SELECT {KEY}, coalesce(kept.calls, 0), coalesce(live.calls, 0)
        FROM live FULL JOIN kept USING ({KEY})
        WHERE kept.calls IS DISTINCT FROM live.calls ORDER BY {KEY}"""
    with connection.cursor() as cur:
        cur.execute(sql, {"lo": lo, "hi": hi})
        return [Difference(*row) for row in cur.fetchall()]


def _repair(found: list[Difference]) -> None:
    """Add each difference's drift (live - counted) to its row, then drop zero rows.

    A delta, not the live figure: a write committed since the comparison changed both
    sides alike, so the drift it measured is still the drift.
    """
    keys = [
        [d.account_id for d in found],
        [d.hour for d in found],
        [d.product for d in found],
        [d.call_direction for d in found],
        [d.answered for d in found],
    ]
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {TABLE} AS c ({KEY}, calls)
            SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::varchar[],
                                 %s::varchar[], %s::boolean[], %s::bigint[])
            ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT ({KEY}) DO UPDATE SET calls = c.calls + EXCLUDED.calls""",
            [*keys, [d.live - d.counted for d in found]],
        )
        cur.execute(
            f"""DELETE FROM {TABLE} c USING unnest(%s::bigint[], %s::timestamptz[],
            %s::varchar[], %s::varchar[], %s::boolean[])
            AS d(account_id, hour, product, call_direction, answered)
            WHERE c.account_id = d.account_id AND c.hour = d.hour AND c.product = d.product
            AND c.call_direction = d.call_direction AND c.answered = d.answered
            AND c.calls = 0""",
            keys,
        )


def check(
    *, since: datetime, repair: bool = False, now: datetime | None = None
) -> Iterator[Difference]:
    """Compare the count table with live counts from `since` on, a day at a time; yield
    each difference. With `repair`, each day's differences are fixed in that day's own
    short transaction (never one long lock over the whole table), and every remembered
    filter count is forgotten (remembered.py)."""
    repaired = False
    for lo, hi in _batches(since, now or datetime.now(UTC)):
        with transaction.atomic():
            found = _compare(lo, hi)
            if repair and found:
                _repair(found)
                repaired = True
        yield from found
    if repaired:  # what drifted may have changed calls unseen: remembered counts too
        remembered.clear()


@dataclass(frozen=True)
class MemoDifference:
    filter_key: UUID
    account_id: int
    hour: datetime
    remembered: int  # the count a total would read
    live: int  # the filter's calls in that hour now
    sql: str  # the filter


# A memo row `m` a total would read: its hour's total and epoch are still those it was
# remembered with (remembered.py, "A remembered hour is used while ...").
_FRESH = f"""(m.total = (SELECT coalesce(sum(c.calls), 0) FROM {TABLE} c
        WHERE c.account_id = m.account_id AND c.hour = m.hour)
    AND m.epoch = coalesce((SELECT e.epoch FROM {remembered.EPOCH} e
        WHERE e.account_id = m.account_id AND e.hour = m.hour), 0))"""


def check_memo(*, sample: int, repair: bool = False) -> tuple[int, list[MemoDifference]]:
    """Re-count `sample` remembered rows, drawn at random among those a total would read
    (their hour's signature unchanged); return how many were checked and those that
    differ. With `repair`, the filters that differ are forgotten (asked again, they are
    counted again). Each row is read with its live count in one statement: one snapshot."""
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT m.filter_key, m.account_id, m.hour, m.calls, f.sql
            FROM {remembered.MEMO} m JOIN {remembered.FILTERS} f USING (filter_key)
            WHERE {_FRESH} ORDER BY random() LIMIT %s""",
            [sample],
        )
        rows = cur.fetchall()
    found = []
    for key, account_id, hour, _, sql in rows:
        with connection.cursor() as cur:
            cur.execute(
                f"""SELECT m.calls, (SELECT count(*) FROM calls_call WHERE account_id = %s
                    AND end_time >= %s AND end_time < %s + interval '1 hour'
                    AND ({sql.replace("%", "%%")})), {_FRESH}
                FROM {remembered.MEMO} m
                WHERE m.filter_key = %s AND m.account_id = %s AND m.hour = %s""",
                [account_id, hour, hour, key, account_id, hour],
            )
            now = cur.fetchone()
        if now is None or not now[2]:
            continue  # forgotten or gone stale meanwhile: a total no longer reads it
        if now[0] != now[1]:
            found.append(MemoDifference(key, account_id, hour, now[0], now[1], sql))
    if repair and found:
        remembered.forget({d.filter_key for d in found})
    return len(rows), found
