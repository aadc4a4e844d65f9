"""Per-account, per-hour call counts kept by triggers (PostgreSQL): calls/counting/hourly.py.

The SQL is this migration's own, as it ran: later code changes must not change what an
old migration does."""

from django.db import migrations

# The functions are 0008's (0009 replaces them): PL/pgSQL resolves columns when a trigger
# first runs, and no call is written between 0005 and 0008 on a fresh database.
INSTALL_SQL = [
    """CREATE TABLE IF NOT EXISTS calls_hour_count (
        account_id bigint NOT NULL,
        hour timestamptz NOT NULL,
        call_direction varchar(8) NOT NULL,
        calls bigint NOT NULL,
        PRIMARY KEY (account_id, hour, call_direction))""",
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
    "DROP TRIGGER IF EXISTS calls_hour_count_ins ON calls_call",
    "DROP TRIGGER IF EXISTS calls_hour_count_del ON calls_call",
    "DROP TRIGGER IF EXISTS calls_hour_count_trunc ON calls_call",
    """CREATE TRIGGER calls_hour_count_ins AFTER INSERT ON calls_call
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION calls_hour_count_add()""",
    """CREATE TRIGGER calls_hour_count_del AFTER DELETE ON calls_call
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
        EXECUTE FUNCTION calls_hour_count_remove()""",
    """CREATE TRIGGER calls_hour_count_trunc AFTER TRUNCATE ON calls_call
        FOR EACH STATEMENT EXECUTE FUNCTION calls_hour_count_clear()""",
    """INSERT INTO calls_hour_count (account_id, hour, call_direction, calls)
        SELECT account_id, date_trunc('hour', end_time, 'UTC'), call_direction, count(*)
        FROM calls_call GROUP BY 1, 2, 3
        ON CONFLICT (account_id, hour, call_direction) DO NOTHING""",
]

REMOVE_SQL = [
    "DROP TRIGGER IF EXISTS calls_hour_count_ins ON calls_call",
    "DROP TRIGGER IF EXISTS calls_hour_count_del ON calls_call",
    "DROP TRIGGER IF EXISTS calls_hour_count_trunc ON calls_call",
    """DROP FUNCTION IF EXISTS calls_hour_count_add(), calls_hour_count_remove(), calls_hour_count_change(), calls_hour_count_clear(), calls_hour_count_truncated(), calls_hour_count_forget(timestamptz, timestamptz)""",
    "DROP TABLE IF EXISTS calls_hour_count",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The backfill reads the whole table: not subject to the API's statement timeout.
        schema_editor.execute("SET LOCAL statement_timeout = 0")
        for sql in INSTALL_SQL:
            schema_editor.execute(sql)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in REMOVE_SQL:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("calls", "0004_end_time_index")]
    operations = [migrations.RunPython(install, remove)]
