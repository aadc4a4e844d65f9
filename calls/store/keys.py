"""One row per call: the call_uuid key of the partitioned call table (PostgreSQL).

PostgreSQL enforces a unique index only within one partition, and a partitioned table's
unique constraints must contain the partition key, so `(call_uuid, end_time)` is the most
the call table itself can promise: the same call exported once with `…:00.250` and once
with `…:00` would be two rows. `calls_call_key (call_uuid PRIMARY KEY, end_time)` holds
one row per stored call, kept in the same transaction by statement-level triggers with
transition tables (like calls/counting/hourly.py), so COPY, INSERT … ON CONFLICT and ORM writes
all go through it at one INSERT … SELECT per statement. A second row for a stored
call_uuid, whatever its end_time, fails its statement with a unique violation on
`calls_call_key_pkey` (loading.insert_rows skips such rows instead).

It also tells a retrieve which partition to read: `end_time` by `call_uuid` first, then
the one partition that holds it (CallQuerySet.by_uuid).

Rows that purge removes straight from partitions (detach and drop, batched deletes) fire
no trigger on the parent; purge forgets their keys itself with `forget_sql`. SQLite's
call table is not partitioned: its primary key is call_uuid alone.
"""

from __future__ import annotations

from django.db import connection, transaction

TABLE = "calls_call_key"
CALLS = "calls_call"

_FUNCTIONS = [
    # A plain INSERT: a second row for a stored call_uuid fails the statement on the primary
    # key. In call_uuid order, so that two writers never wait on each other in a cycle (and
    # the B-tree is written in order). ON CONFLICT here would cost 2.5 times as much.
    f"""CREATE OR REPLACE FUNCTION {TABLE}_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {TABLE} (call_uuid, end_time)
        SELECT call_uuid, end_time FROM new_rows ORDER BY call_uuid;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION {TABLE}_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM {TABLE} k USING old_rows o
        WHERE k.call_uuid = o.call_uuid AND k.end_time = o.end_time;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION {TABLE}_clear() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE {TABLE};
        RETURN NULL;
    END $$""",
]
# Calls are never updated; should one be, its key follows: old keys out, then new ones in
# (triggers of one event fire in name order).
_TRIGGERS = [
    f"""CREATE TRIGGER {TABLE}_ins AFTER INSERT ON {CALLS}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_add()""",
    f"""CREATE TRIGGER {TABLE}_upd1 AFTER UPDATE ON {CALLS}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_remove()""",
    f"""CREATE TRIGGER {TABLE}_upd2 AFTER UPDATE ON {CALLS}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_add()""",
    f"""CREATE TRIGGER {TABLE}_del AFTER DELETE ON {CALLS}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_remove()""",
    f"""CREATE TRIGGER {TABLE}_trunc AFTER TRUNCATE ON {CALLS}
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_clear()""",
]
_TRIGGER_NAMES = ("ins", "upd1", "upd2", "del", "trunc")


def enabled() -> bool:
    return connection.vendor == "postgresql"


def install() -> int:
    """Build the key table from the stored calls and start the triggers; return how many
    surplus rows (second rows of a call) were deleted.

    Where a call was stored twice, the row kept is the one whose end time has a fraction of
    a second (a truncating export drops it), then the earliest. One transaction with writes
    to the call table held off, so that no row slips between the backfill and the triggers.
    """
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL statement_timeout = 0")
        cur.execute("SET LOCAL lock_timeout = '10s'")
        cur.execute(f"LOCK TABLE {CALLS} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(
            f"CREATE TABLE {TABLE} (call_uuid uuid NOT NULL, end_time timestamptz NOT NULL)"
        )
        cur.execute(
            f"INSERT INTO {TABLE} (call_uuid, end_time) "
            f"SELECT DISTINCT ON (call_uuid) call_uuid, end_time FROM {CALLS} "
            "ORDER BY call_uuid, extract(microseconds FROM end_time)::bigint % 1000000 = 0, "
            "end_time"
        )
        kept = cur.rowcount
        cur.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (call_uuid)")
        cur.execute(f"SELECT count(*) FROM {CALLS}")
        surplus = cur.fetchone()[0] - kept
        if surplus:
            cur.execute(
                f"DELETE FROM {CALLS} c WHERE NOT EXISTS (SELECT 1 FROM {TABLE} k "
                "WHERE k.call_uuid = c.call_uuid AND k.end_time = c.end_time)"
            )
        for sql in _FUNCTIONS + _TRIGGERS:
            cur.execute(sql)
    return surplus


def remove() -> None:
    with connection.cursor() as cur:
        for name in _TRIGGER_NAMES:
            cur.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{name} ON {CALLS}")
        cur.execute(f"DROP FUNCTION IF EXISTS {TABLE}_add(), {TABLE}_remove(), {TABLE}_clear()")
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")


def end_time_sql() -> str:
    """A scalar subquery: the stored end_time of the call_uuid given as its one parameter."""
    return f"SELECT end_time FROM {TABLE} WHERE call_uuid = %s"


def forget_sql(rows: str) -> str:
    """DELETE the keys of `rows` (a table or CTE with call_uuid and end_time): for rows
    removed straight from a partition, which fires no trigger on the call table."""
    return (
        f"DELETE FROM {TABLE} k USING {rows} r "
        "WHERE k.call_uuid = r.call_uuid AND k.end_time = r.end_time"
    )
