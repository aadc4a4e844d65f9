"""Hourly counts that cannot drift: UPDATE counted, partition-level writes counted,
deltas applied in key order, zero rows removed (see calls/counting/hourly.py). The SQL is this
migration's own, as it ran."""

from django.db import migrations

GUARD_SQL = [
    """CREATE OR REPLACE FUNCTION calls_hour_count_add() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, calls)
        SELECT account_id, hour, product, call_direction, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, 1 AS n FROM new_rows) d GROUP BY account_id, hour, product, call_direction
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction
        ON CONFLICT (account_id, hour, product, call_direction) DO UPDATE SET calls = c.calls + EXCLUDED.calls;
 RETURN NULL; END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_remove() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, calls)
        SELECT account_id, hour, product, call_direction, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, -1 AS n FROM old_rows) d GROUP BY account_id, hour, product, call_direction
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction
        ON CONFLICT (account_id, hour, product, call_direction) DO UPDATE SET calls = c.calls + EXCLUDED.calls;
DELETE FROM calls_hour_count c USING (SELECT DISTINCT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction FROM old_rows) g
        WHERE c.account_id = g.account_id AND c.hour = g.hour AND c.product = g.product AND c.call_direction = g.call_direction AND c.calls = 0;
 RETURN NULL; END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_change() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, calls)
        SELECT account_id, hour, product, call_direction, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, 1 AS n FROM new_rows UNION ALL SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, -1 AS n FROM old_rows) d GROUP BY account_id, hour, product, call_direction
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction
        ON CONFLICT (account_id, hour, product, call_direction) DO UPDATE SET calls = c.calls + EXCLUDED.calls;
DELETE FROM calls_hour_count c USING (SELECT DISTINCT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction FROM old_rows) g
        WHERE c.account_id = g.account_id AND c.hour = g.hour AND c.product = g.product AND c.call_direction = g.call_direction AND c.calls = 0;
 RETURN NULL; END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_clear() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN TRUNCATE calls_hour_count;
 RETURN NULL; END $$""",
    r"""CREATE OR REPLACE FUNCTION calls_hour_count_truncated() RETURNS trigger
            LANGUAGE plpgsql AS $$
        DECLARE
            part text := quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME);
            bounds text[] := regexp_match(
                (SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = TG_RELID),
                'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)');
        BEGIN
            IF bounds IS NOT NULL THEN
                PERFORM calls_hour_count_forget(bounds[1]::timestamptz, bounds[2]::timestamptz);
            ELSIF (SELECT relispartition FROM pg_class WHERE oid = TG_RELID) THEN
                EXECUTE replace($q$INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, calls)
        SELECT account_id, hour, product, call_direction, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, -1 AS n FROM __part__) d GROUP BY account_id, hour, product, call_direction
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction
        ON CONFLICT (account_id, hour, product, call_direction) DO UPDATE SET calls = c.calls + EXCLUDED.calls$q$,
                                '__part__', part);
                EXECUTE replace($q$DELETE FROM calls_hour_count c USING (SELECT DISTINCT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction FROM __part__) g
        WHERE c.account_id = g.account_id AND c.hour = g.hour AND c.product = g.product AND c.call_direction = g.call_direction AND c.calls = 0$q$, '__part__', part);
                
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_forget(lo timestamptz, hi timestamptz)
            RETURNS bigint LANGUAGE sql AS $$
            WITH gone AS (DELETE FROM calls_hour_count WHERE hour >= lo AND hour < hi RETURNING 1)
            SELECT count(*) FROM gone $$""",
    """CREATE OR REPLACE TRIGGER calls_hour_count_upd AFTER UPDATE ON "calls_call" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION calls_hour_count_change()""",
    "CREATE INDEX IF NOT EXISTS calls_hour_count_hour_idx ON calls_hour_count (hour)",
    "DELETE FROM calls_hour_count WHERE calls = 0",
]

UNGUARD_SQL = [
    "DROP TRIGGER IF EXISTS calls_hour_count_upd ON calls_call",
    "DROP INDEX IF EXISTS calls_hour_count_hour_idx",
]

# Each partition's triggers: (name suffix, event, transition tables, function).
PARTITION_TRIGGERS = [
    ("ins", "AFTER INSERT", "REFERENCING NEW TABLE AS new_rows", "add"),
    ("del", "AFTER DELETE", "REFERENCING OLD TABLE AS old_rows", "remove"),
    ("upd", "AFTER UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows", "change"),
    ("trunc", "BEFORE TRUNCATE", "", "truncated"),
]


def partition_triggers_sql(table: str) -> list[str]:
    return [
        f'CREATE OR REPLACE TRIGGER calls_hour_count_{suffix} {event} ON "{table}" '
        f"{transitions} FOR EACH STATEMENT EXECUTE FUNCTION calls_hour_count_{function}()"
        for suffix, event, transitions, function in PARTITION_TRIGGERS
    ]


PARTITIONS = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'calls_call'::regclass"
)


def _partitions(schema_editor) -> list[str]:
    with schema_editor.connection.cursor() as cur:
        cur.execute(PARTITIONS)
        return [row[0] for row in cur.fetchall()]


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("SET LOCAL statement_timeout = 0")  # one pass over the counts
    for sql in GUARD_SQL:
        schema_editor.execute(sql, None)
    for name in _partitions(schema_editor):
        for sql in partition_triggers_sql(name):
            schema_editor.execute(sql, None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in _partitions(schema_editor):
        for suffix, *_ in PARTITION_TRIGGERS:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS calls_hour_count_{suffix} ON "{name}"')
    for sql in UNGUARD_SQL:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("calls", "0005_hour_counts")]
    operations = [migrations.RunPython(install, remove)]
