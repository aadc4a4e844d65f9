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
  table do not fire for its partitions, so every partition carries its own, installed
  when it is created), TRUNCATE of the table or of one partition;
- purge's DETACH and DROP, which fire no trigger: purge forgets the hours of a partition
  in the transaction that detaches it, and then every hour before the purge line.
Deltas are applied in key order, so concurrent multi-hour writes cannot deadlock on the
count rows, and a row that reaches zero is deleted. What is left (a partition detached
or dropped by hand, damage) is what `manage.py check_counts` finds and repairs.
SQLite has no triggers here: there, totals are plain COUNTs. The read side is
calls/query/counts.py; the check and repair, calls/bulk/count_check.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

from calls.store import count_memo

TABLE = "calls_hour_count"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
KEY = "account_id, hour, product, call_direction, answered"
HOUR_OF = "date_trunc('hour', end_time, 'UTC')"
ANSWERED_OF = "bill_duration > 0"  # answered: talk time billed (the everyday filter)
# Each key column and how a call row gives it (the count table's key, in order).
_KEY_OF = {"account_id": "account_id", "hour": HOUR_OF, "product": "product",
           "call_direction": "call_direction", "answered": ANSWERED_OF}  # fmt: skip
# Migration 0008's key (before `answered`, migration 0009): its SQL stays as it ran.
_KEY_0008 = ("account_id", "hour", "product", "call_direction")
# A range partition's bounds as pg_get_expr prints them (quotes doubled for a SQL literal).
_BOUNDS_RE = r"FROM \(''([^'']+)''\) TO \(''([^'']+)''\)"


def _apply_deltas(*sources: tuple[str, int], key: tuple[str, ...] = tuple(_KEY_OF)) -> str:
    """SQL adding, for each (relation, sign), sign x its calls to their hours' counts.

    The one way the count table is written: grouped, in key order (two statements
    locking the same rows in the same order cannot deadlock), only non-zero deltas.
    """
    columns = ", ".join(key)
    picked = ", ".join(f"{_KEY_OF[name]} AS {name}" for name in key)
    rows = " UNION ALL ".join(f"SELECT {picked}, {sign} AS n FROM {rel}" for rel, sign in sources)
    return f"""INSERT INTO {TABLE} AS c ({columns}, calls)
        SELECT {columns}, sum(n) FROM ({rows}) d GROUP BY {columns}
        HAVING sum(n) <> 0 ORDER BY {columns}
        ON CONFLICT ({columns}) DO UPDATE SET calls = c.calls + EXCLUDED.calls"""


def _drop_zeros(relation: str, key: tuple[str, ...] = tuple(_KEY_OF)) -> str:
    """SQL deleting the count rows of `relation`'s hours that came down to zero."""
    picked = ", ".join(f"{_KEY_OF[name]} AS {name}" for name in key)
    same = " AND ".join(f"c.{name} = g.{name}" for name in key)
    return f"""DELETE FROM {TABLE} c USING (SELECT DISTINCT {picked} FROM {relation}) g
        WHERE {same} AND c.calls = 0"""


def _function(name: str, body: list[str]) -> str:
    statements = "".join(f"{sql};\n" for sql in body)
    return f"""CREATE OR REPLACE FUNCTION {TABLE}_{name}() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN {statements} RETURN NULL; END $$"""


def _functions_sql(key: tuple[str, ...] = tuple(_KEY_OF), memo: bool = False) -> list[str]:
    """The trigger functions (and purge's `forget`), writing a count table of this key;
    with `memo` (migration 0011), keeping the remembered filter counts' signatures too
    (calls/store/count_memo.py): a DELETE or UPDATE raises its hours' epochs, TRUNCATE and
    `forget` drop their memories."""
    bump = (lambda *rels: [count_memo.bump_sql(*rels)]) if memo else (lambda *rels: [])
    forget_memo = "".join(f"{sql};\n" for sql in count_memo.forget_sql("lo", "hi")) if memo else ""
    clear_memo = count_memo.CLEAR_SQL if memo else []
    bump_part = "".join(
        f"EXECUTE replace($q${sql}$q$, '__part__', part);" for sql in bump("__part__")
    )
    forget_body = (
        f"""LANGUAGE plpgsql AS $$ DECLARE gone bigint; BEGIN {forget_memo}
            WITH g AS (DELETE FROM {TABLE} WHERE hour >= lo AND hour < hi RETURNING 1)
            SELECT count(*) INTO gone FROM g; RETURN gone; END $$"""
        if memo
        else f"""LANGUAGE sql AS $$
            WITH gone AS (DELETE FROM {TABLE} WHERE hour >= lo AND hour < hi RETURNING 1)
            SELECT count(*) FROM gone $$"""
    )
    return [
        _function("add", [_apply_deltas(("new_rows", 1), key=key)]),
        _function(
            "remove",
            [
                _apply_deltas(("old_rows", -1), key=key),
                _drop_zeros("old_rows", key),
                *bump("old_rows"),
            ],
        ),
        _function(
            "change",
            [
                _apply_deltas(("new_rows", 1), ("old_rows", -1), key=key),
                _drop_zeros("old_rows", key),
                *bump("old_rows", "new_rows"),
            ],
        ),
        _function("clear", [f"TRUNCATE {TABLE}", *clear_memo]),
        # TRUNCATE of one partition (also fired, before the table's own, by TRUNCATE
        # calls_call). A bounded partition holds every call of its range, so its hours are
        # forgotten outright; the default partition's calls are subtracted; a detached
        # table's, nothing.
        f"""CREATE OR REPLACE FUNCTION {TABLE}_truncated() RETURNS trigger
            LANGUAGE plpgsql AS $$
        DECLARE
            part text := quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME);
            bounds text[] := regexp_match(
                (SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = TG_RELID),
                '{_BOUNDS_RE}');
        BEGIN
            IF bounds IS NOT NULL THEN
                PERFORM {TABLE}_forget(bounds[1]::timestamptz, bounds[2]::timestamptz);
            ELSIF (SELECT relispartition FROM pg_class WHERE oid = TG_RELID) THEN
                EXECUTE replace($q${_apply_deltas(("__part__", -1), key=key)}$q$,
                                '__part__', part);
                EXECUTE replace($q${_drop_zeros("__part__", key)}$q$, '__part__', part);
                {bump_part}
            END IF;
            RETURN NULL;
        END $$""",
        # The counts of every hour in [lo, hi): for rows that left without a trigger.
        f"""CREATE OR REPLACE FUNCTION {TABLE}_forget(lo timestamptz, hi timestamptz)
            RETURNS bigint {forget_body}""",
    ]


_FUNCTIONS_0009 = _functions_sql()
_FUNCTIONS_0008 = _functions_sql(_KEY_0008)

# Migration 0005's table, as it was made then (the product came with 0008, below). The
# functions are 0008's (0009 replaces them): PL/pgSQL resolves columns when a trigger first
# runs, and no call is written between 0005 and 0008 on a fresh database.
INSTALL_SQL = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        account_id bigint NOT NULL,
        hour timestamptz NOT NULL,
        call_direction varchar(8) NOT NULL,
        calls bigint NOT NULL,
        PRIMARY KEY (account_id, hour, call_direction))""",
    *_FUNCTIONS_0008,
    f"DROP TRIGGER IF EXISTS {TABLE}_ins ON calls_call",
    f"DROP TRIGGER IF EXISTS {TABLE}_del ON calls_call",
    f"DROP TRIGGER IF EXISTS {TABLE}_trunc ON calls_call",
    f"""CREATE TRIGGER {TABLE}_ins AFTER INSERT ON calls_call
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_add()""",
    f"""CREATE TRIGGER {TABLE}_del AFTER DELETE ON calls_call
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
        EXECUTE FUNCTION {TABLE}_remove()""",
    f"""CREATE TRIGGER {TABLE}_trunc AFTER TRUNCATE ON calls_call
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_clear()""",
    f"""INSERT INTO {TABLE} (account_id, hour, call_direction, calls)
        SELECT account_id, date_trunc('hour', end_time, 'UTC'), call_direction, count(*)
        FROM calls_call GROUP BY 1, 2, 3
        ON CONFLICT (account_id, hour, call_direction) DO NOTHING""",
]
REMOVE_SQL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_ins ON calls_call",
    f"DROP TRIGGER IF EXISTS {TABLE}_del ON calls_call",
    f"DROP TRIGGER IF EXISTS {TABLE}_trunc ON calls_call",
    f"DROP FUNCTION IF EXISTS {TABLE}_add(), {TABLE}_remove(), {TABLE}_change(), "
    f"{TABLE}_clear(), {TABLE}_truncated(), {TABLE}_forget(timestamptz, timestamptz)",
    f"DROP TABLE IF EXISTS {TABLE}",
]

# Migration 0008: the product joins the key (existing rows are Zentrunk calls).
PRODUCT_SQL = [
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS product varchar(8) NOT NULL DEFAULT 'zentrunk'",
    f"ALTER TABLE {TABLE} ALTER COLUMN product DROP DEFAULT",
    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {TABLE}_pkey",
    f"ALTER TABLE {TABLE} ADD PRIMARY KEY ({', '.join(_KEY_0008)})",
    *_FUNCTIONS_0008,
]

# Migration 0009: answered or not joins the key, so "answered calls" (bill_duration > 0,
# or = 0 for the others) is a total from the counts too. The rows are rebuilt from the
# calls in the migration's transaction (writers wait on the count table meanwhile).
_REBUILD = f"""INSERT INTO {TABLE} ({KEY}, calls)
    SELECT {", ".join(_KEY_OF.values())}, count(*) FROM calls_call GROUP BY 1, 2, 3, 4, 5"""
WIDEN_SQL = [
    f"DELETE FROM {TABLE}",
    f"ALTER TABLE {TABLE} ADD COLUMN answered boolean NOT NULL",
    f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey",
    # The key INCLUDEs the count, so totals read the count rows index-only: an account's
    # rows lie one per heap page (each hour's rows of every account are written together),
    # so a week of the big account read 2,763 heap pages in 9.4 ms through a plain key,
    # 0.7 ms index-only (3M calls). In the key itself, not a second index: COPY into
    # calls_call ran 11% slower with a separate covering index.
    f"ALTER TABLE {TABLE} ADD PRIMARY KEY ({KEY}) INCLUDE (calls)",
    *_FUNCTIONS_0009,
    _REBUILD,
]
# Migration 0011: the functions keep the remembered filter counts' signatures as well.
FUNCTIONS_SQL = _functions_sql(memo=True)
MEMO_SQL = [*count_memo.INSTALL_SQL, *FUNCTIONS_SQL]
UNMEMO_SQL = [*_FUNCTIONS_0009, *count_memo.REMOVE_SQL]

NARROW_SQL = [
    f"DELETE FROM {TABLE}",
    f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey",
    f"ALTER TABLE {TABLE} DROP COLUMN answered",
    f"ALTER TABLE {TABLE} ADD PRIMARY KEY ({', '.join(_KEY_0008)})",
    *_FUNCTIONS_0008,
    f"""INSERT INTO {TABLE} ({", ".join(_KEY_0008)}, calls) SELECT account_id, {HOUR_OF},
        product, call_direction, count(*) FROM calls_call GROUP BY 1, 2, 3, 4""",
]

# Each partition's triggers: (name suffix, event, transition tables, function).
_PARTITION_TRIGGERS = [
    ("ins", "AFTER INSERT", "REFERENCING NEW TABLE AS new_rows", "add"),
    ("del", "AFTER DELETE", "REFERENCING OLD TABLE AS old_rows", "remove"),
    ("upd", "AFTER UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows", "change"),
    ("trunc", "BEFORE TRUNCATE", "", "truncated"),
]
PARTITION_TRIGGERS = [f"{TABLE}_{suffix}" for suffix, *_ in _PARTITION_TRIGGERS]


def _trigger(table: str, suffix: str, event: str, transitions: str, function: str) -> str:
    return (
        f'CREATE OR REPLACE TRIGGER {TABLE}_{suffix} {event} ON "{table}" {transitions} '
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_{function}()"
    )


def partition_triggers_sql(table: str) -> list[str]:
    """SQL giving one table (a partition, or one about to be attached) the count triggers.

    Statement triggers on calls_call fire for statements naming calls_call only; these
    fire for statements naming the partition only, so nothing is counted twice.
    """
    return [_trigger(table, *spec) for spec in _PARTITION_TRIGGERS]


# Migration 0006: the fixed functions, UPDATE counted, an index for purge and check_counts
# (which select by hour), the zero rows left so far. Partitions get their triggers there too.
GUARD_SQL = [
    *_FUNCTIONS_0008,
    _trigger("calls_call", *_PARTITION_TRIGGERS[2]),
    f"CREATE INDEX IF NOT EXISTS {TABLE}_hour_idx ON {TABLE} (hour)",
    f"DELETE FROM {TABLE} WHERE calls = 0",
]
UNGUARD_SQL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_upd ON calls_call",
    f"DROP INDEX IF EXISTS {TABLE}_hour_idx",
]


def guard_partition(table: str) -> None:
    """Install the count triggers on a new partition before any row goes into it (a no-op
    until migration 0006 has installed the functions they call)."""
    with connection.cursor() as cur:
        cur.execute("SELECT to_regproc(%s) IS NOT NULL", [f"{TABLE}_truncated"])
        if cur.fetchone()[0]:
            for sql in partition_triggers_sql(table):
                cur.execute(sql)


def forget(lo: datetime, hi: datetime) -> int:
    """Delete the counts of every hour in [lo, hi); return how many rows went.

    For calls that left without firing a trigger (a detached or dropped partition); the
    caller runs it in the transaction that removes them.
    """
    with connection.cursor() as cur:
        cur.execute(f"SELECT {TABLE}_forget(%s, %s)", [lo, hi])
        return int(cur.fetchone()[0])


def trim(line: datetime) -> int:
    """After a purge to `line`: delete the counts of every hour wholly before it, and any
    zero row; return how many rows went."""
    floor = line.replace(minute=0, second=0, microsecond=0)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE hour < %s OR calls = 0", [floor])
        return cur.rowcount
