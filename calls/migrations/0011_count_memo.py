"""Remembered filter counts (calls/counting/remembered.py): exact totals for any filter from
per-hour counts taken once and kept while their hour is unchanged. The SQL is this
migration's own, as it ran (the trigger functions gain the memo's signatures)."""

from django.db import migrations

MEMO_SQL = [
    """CREATE TABLE IF NOT EXISTS calls_count_memo (
        account_id bigint NOT NULL,
        filter_key uuid NOT NULL,
        hour timestamptz NOT NULL,
        calls bigint NOT NULL,
        total bigint NOT NULL,
        epoch bigint NOT NULL,
        PRIMARY KEY (account_id, filter_key, hour) INCLUDE (calls, total, epoch))""",
    "CREATE INDEX IF NOT EXISTS calls_count_memo_hour_idx ON calls_count_memo (hour)",
    """CREATE TABLE IF NOT EXISTS calls_hour_epoch (
        account_id bigint NOT NULL,
        hour timestamptz NOT NULL,
        epoch bigint NOT NULL,
        PRIMARY KEY (account_id, hour) INCLUDE (epoch))""",
    "CREATE INDEX IF NOT EXISTS calls_hour_epoch_hour_idx ON calls_hour_epoch (hour)",
    """CREATE TABLE IF NOT EXISTS calls_count_memo_use (
        filter_key uuid PRIMARY KEY,
        used date NOT NULL)""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_add() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, answered, calls)
        SELECT account_id, hour, product, call_direction, answered, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, 1 AS n FROM new_rows) d GROUP BY account_id, hour, product, call_direction, answered
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction, answered
        ON CONFLICT (account_id, hour, product, call_direction, answered) DO UPDATE SET calls = c.calls + EXCLUDED.calls;
 RETURN NULL; END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_remove() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, answered, calls)
        SELECT account_id, hour, product, call_direction, answered, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, -1 AS n FROM old_rows) d GROUP BY account_id, hour, product, call_direction, answered
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction, answered
        ON CONFLICT (account_id, hour, product, call_direction, answered) DO UPDATE SET calls = c.calls + EXCLUDED.calls;
DELETE FROM calls_hour_count c USING (SELECT DISTINCT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered FROM old_rows) g
        WHERE c.account_id = g.account_id AND c.hour = g.hour AND c.product = g.product AND c.call_direction = g.call_direction AND c.answered = g.answered AND c.calls = 0;
INSERT INTO calls_hour_epoch AS e (account_id, hour, epoch)
        SELECT DISTINCT account_id, hour, 1 FROM (SELECT account_id, date_trunc('hour', end_time, 'UTC') AS hour FROM old_rows) g ORDER BY 1, 2
        ON CONFLICT (account_id, hour) DO UPDATE SET epoch = e.epoch + 1;
 RETURN NULL; END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_change() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, answered, calls)
        SELECT account_id, hour, product, call_direction, answered, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, 1 AS n FROM new_rows UNION ALL SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, -1 AS n FROM old_rows) d GROUP BY account_id, hour, product, call_direction, answered
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction, answered
        ON CONFLICT (account_id, hour, product, call_direction, answered) DO UPDATE SET calls = c.calls + EXCLUDED.calls;
DELETE FROM calls_hour_count c USING (SELECT DISTINCT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered FROM old_rows) g
        WHERE c.account_id = g.account_id AND c.hour = g.hour AND c.product = g.product AND c.call_direction = g.call_direction AND c.answered = g.answered AND c.calls = 0;
INSERT INTO calls_hour_epoch AS e (account_id, hour, epoch)
        SELECT DISTINCT account_id, hour, 1 FROM (SELECT account_id, date_trunc('hour', end_time, 'UTC') AS hour FROM old_rows UNION SELECT account_id, date_trunc('hour', end_time, 'UTC') AS hour FROM new_rows) g ORDER BY 1, 2
        ON CONFLICT (account_id, hour) DO UPDATE SET epoch = e.epoch + 1;
 RETURN NULL; END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_clear() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN TRUNCATE calls_hour_count;
TRUNCATE calls_count_memo;
TRUNCATE calls_hour_epoch;
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
                EXECUTE replace($q$INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, answered, calls)
        SELECT account_id, hour, product, call_direction, answered, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, -1 AS n FROM __part__) d GROUP BY account_id, hour, product, call_direction, answered
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction, answered
        ON CONFLICT (account_id, hour, product, call_direction, answered) DO UPDATE SET calls = c.calls + EXCLUDED.calls$q$,
                                '__part__', part);
                EXECUTE replace($q$DELETE FROM calls_hour_count c USING (SELECT DISTINCT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered FROM __part__) g
        WHERE c.account_id = g.account_id AND c.hour = g.hour AND c.product = g.product AND c.call_direction = g.call_direction AND c.answered = g.answered AND c.calls = 0$q$, '__part__', part);
                EXECUTE replace($q$INSERT INTO calls_hour_epoch AS e (account_id, hour, epoch)
        SELECT DISTINCT account_id, hour, 1 FROM (SELECT account_id, date_trunc('hour', end_time, 'UTC') AS hour FROM __part__) g ORDER BY 1, 2
        ON CONFLICT (account_id, hour) DO UPDATE SET epoch = e.epoch + 1$q$, '__part__', part);
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_forget(lo timestamptz, hi timestamptz)
            RETURNS bigint LANGUAGE plpgsql AS $$ DECLARE gone bigint; BEGIN DELETE FROM calls_count_memo WHERE hour >= lo AND hour < hi;
DELETE FROM calls_hour_epoch WHERE hour >= lo AND hour < hi;

            WITH g AS (DELETE FROM calls_hour_count WHERE hour >= lo AND hour < hi RETURNING 1)
            SELECT count(*) INTO gone FROM g; RETURN gone; END $$""",
]

UNMEMO_SQL = [
    """CREATE OR REPLACE FUNCTION calls_hour_count_add() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, answered, calls)
        SELECT account_id, hour, product, call_direction, answered, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, 1 AS n FROM new_rows) d GROUP BY account_id, hour, product, call_direction, answered
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction, answered
        ON CONFLICT (account_id, hour, product, call_direction, answered) DO UPDATE SET calls = c.calls + EXCLUDED.calls;
 RETURN NULL; END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_remove() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, answered, calls)
        SELECT account_id, hour, product, call_direction, answered, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, -1 AS n FROM old_rows) d GROUP BY account_id, hour, product, call_direction, answered
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction, answered
        ON CONFLICT (account_id, hour, product, call_direction, answered) DO UPDATE SET calls = c.calls + EXCLUDED.calls;
DELETE FROM calls_hour_count c USING (SELECT DISTINCT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered FROM old_rows) g
        WHERE c.account_id = g.account_id AND c.hour = g.hour AND c.product = g.product AND c.call_direction = g.call_direction AND c.answered = g.answered AND c.calls = 0;
 RETURN NULL; END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_change() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, answered, calls)
        SELECT account_id, hour, product, call_direction, answered, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, 1 AS n FROM new_rows UNION ALL SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, -1 AS n FROM old_rows) d GROUP BY account_id, hour, product, call_direction, answered
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction, answered
        ON CONFLICT (account_id, hour, product, call_direction, answered) DO UPDATE SET calls = c.calls + EXCLUDED.calls;
DELETE FROM calls_hour_count c USING (SELECT DISTINCT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered FROM old_rows) g
        WHERE c.account_id = g.account_id AND c.hour = g.hour AND c.product = g.product AND c.call_direction = g.call_direction AND c.answered = g.answered AND c.calls = 0;
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
                EXECUTE replace($q$INSERT INTO calls_hour_count AS c (account_id, hour, product, call_direction, answered, calls)
        SELECT account_id, hour, product, call_direction, answered, sum(n) FROM (SELECT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered, -1 AS n FROM __part__) d GROUP BY account_id, hour, product, call_direction, answered
        HAVING sum(n) <> 0 ORDER BY account_id, hour, product, call_direction, answered
        ON CONFLICT (account_id, hour, product, call_direction, answered) DO UPDATE SET calls = c.calls + EXCLUDED.calls$q$,
                                '__part__', part);
                EXECUTE replace($q$DELETE FROM calls_hour_count c USING (SELECT DISTINCT account_id AS account_id, date_trunc('hour', end_time, 'UTC') AS hour, product AS product, call_direction AS call_direction, bill_duration > 0 AS answered FROM __part__) g
        WHERE c.account_id = g.account_id AND c.hour = g.hour AND c.product = g.product AND c.call_direction = g.call_direction AND c.answered = g.answered AND c.calls = 0$q$, '__part__', part);
                
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE OR REPLACE FUNCTION calls_hour_count_forget(lo timestamptz, hi timestamptz)
            RETURNS bigint LANGUAGE sql AS $$
            WITH gone AS (DELETE FROM calls_hour_count WHERE hour >= lo AND hour < hi RETURNING 1)
            SELECT count(*) FROM gone $$""",
    "DROP TABLE IF EXISTS calls_count_memo",
    "DROP TABLE IF EXISTS calls_hour_epoch",
    "DROP TABLE IF EXISTS calls_count_memo_use",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in MEMO_SQL:
        schema_editor.execute(sql)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in UNMEMO_SQL:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("calls", "0010_rates")]
    operations = [migrations.RunPython(install, remove)]
