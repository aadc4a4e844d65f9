"""Remembered filter counts: an exact total for any filter without reading the window.

The hourly counts (hour_counts.py) answer totals for a few dimensions. Every other filter
(number prefixes, duration ranges, hangup cause and source, STIR...) was an index-only
COUNT over the window: a 30-day total of a big account read ~1M index entries. Here each
whole hour a filter was counted over is remembered per account:

    calls_count_memo (account_id, filter_key, hour) -> calls matching, and the hour's
                     signature when they were counted: its total and its epoch

A remembered hour is used while its signature is unchanged, so a total stays exact:
- an INSERT raises the hour's total (calls_hour_count), so its remembered counts lapse;
- a DELETE or UPDATE can leave the total as it was (a call deleted and another added, a
  cause corrected), so they raise the hour's epoch (calls_hour_epoch, by the count
  triggers: rare writes, one upsert per hour they touch);
- TRUNCATE and purge's DETACH forget the hours' memories outright (they wait for every
  statement reading the partition, so no count taken before can be written after).
The count and the signature are read in one statement, from one snapshot.

Hours that changed are counted again (one hour of one account: an index range scan), so
a total costs its stale hours, the two partial hours at the window's edges and a read of
its remembered hours (calls/query/counts.py). Purge (`trim`) forgets the hours past the
retention line, and every filter nobody asked for in COUNT_MEMO_UNUSED_DAYS (so one-off
filters, an exact number looked up once, do not pile up); `check_counts --repair` forgets
every memory (damage it repairs may have reached calls without the triggers).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

MEMO = "calls_count_memo"
EPOCH = "calls_hour_epoch"
USE = "calls_count_memo_use"  # filter_key -> the last day it was asked for
HOUR_OF = "date_trunc('hour', end_time, 'UTC')"

INSTALL_SQL = [
    f"""CREATE TABLE IF NOT EXISTS {MEMO} (
        account_id bigint NOT NULL,
        filter_key uuid NOT NULL,
        hour timestamptz NOT NULL,
        calls bigint NOT NULL,
        total bigint NOT NULL,
        epoch bigint NOT NULL,
        PRIMARY KEY (account_id, filter_key, hour) INCLUDE (calls, total, epoch))""",
    f"CREATE INDEX IF NOT EXISTS {MEMO}_hour_idx ON {MEMO} (hour)",
    f"""CREATE TABLE IF NOT EXISTS {EPOCH} (
        account_id bigint NOT NULL,
        hour timestamptz NOT NULL,
        epoch bigint NOT NULL,
        PRIMARY KEY (account_id, hour) INCLUDE (epoch))""",
    f"CREATE INDEX IF NOT EXISTS {EPOCH}_hour_idx ON {EPOCH} (hour)",
    f"""CREATE TABLE IF NOT EXISTS {USE} (
        filter_key uuid PRIMARY KEY,
        used date NOT NULL)""",
]
REMOVE_SQL = [f"DROP TABLE IF EXISTS {table}" for table in (MEMO, EPOCH, USE)]


def bump_sql(*relations: str) -> str:
    """SQL raising the epoch of every (account, hour) of these relations' calls, in key
    order (concurrent writers lock the epoch rows in the same order: no deadlock)."""
    rows = " UNION ".join(f"SELECT account_id, {HOUR_OF} AS hour FROM {rel}" for rel in relations)
    return f"""INSERT INTO {EPOCH} AS e (account_id, hour, epoch)
        SELECT DISTINCT account_id, hour, 1 FROM ({rows}) g ORDER BY 1, 2
        ON CONFLICT (account_id, hour) DO UPDATE SET epoch = e.epoch + 1"""


def forget_sql(lo: str, hi: str) -> list[str]:
    """SQL forgetting every memory (and epoch) of the hours in [lo, hi) (SQL expressions)."""
    return [
        f"DELETE FROM {MEMO} WHERE hour >= {lo} AND hour < {hi}",
        f"DELETE FROM {EPOCH} WHERE hour >= {lo} AND hour < {hi}",
    ]


CLEAR_SQL = [f"TRUNCATE {MEMO}", f"TRUNCATE {EPOCH}"]


def use_sql() -> str:
    """SQL noting that a filter (its key the one parameter) was asked for today; it
    writes once a day per filter, so a filter asked daily is never forgotten."""
    return f"""INSERT INTO {USE} AS u (filter_key, used) VALUES (%s, current_date)
        ON CONFLICT (filter_key) DO UPDATE SET used = EXCLUDED.used
        WHERE u.used < EXCLUDED.used"""


def trim(line: datetime, unused_days: int) -> int:
    """After a purge to `line`: forget the hours wholly before it, and every memory of a
    filter not asked for in `unused_days` days (one filter at a time: short statements);
    return the rows gone."""
    floor = line.replace(minute=0, second=0, microsecond=0)
    gone = 0
    with connection.cursor() as cur:
        for table in (MEMO, EPOCH):
            cur.execute(f"DELETE FROM {table} WHERE hour < %s", [floor])
            gone += cur.rowcount
        cur.execute(f"SELECT filter_key FROM {USE} WHERE used < current_date - %s",
                    [unused_days])  # fmt: skip
        for (key,) in cur.fetchall():
            cur.execute(f"DELETE FROM {MEMO} WHERE filter_key = %s", [key])
            gone += cur.rowcount
            cur.execute(f"DELETE FROM {USE} WHERE filter_key = %s", [key])
    return gone


def clear() -> None:
    """Forget every remembered count (after a repair of the hourly counts)."""
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {MEMO}")
