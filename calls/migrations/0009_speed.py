"""Filtered totals and pages without reading the heap (docs/performance.md).

- The list index (account, end_time DESC, call_uuid DESC) becomes a covering index on
  PostgreSQL: it INCLUDEs the narrow filter columns, so a filtered COUNT over a window, and
  the keys of a filtered page, are index-only scans (the table is append-only, so the
  visibility map stays set once vacuumed). Same name, same keys: the model's state does not
  change, and SQLite keeps the plain index (it has no INCLUDE).
- (account, hangup_cause_code, end_time DESC, call_uuid DESC): an equality on the cause
  over a long window reads only its calls, newest first.
- parent_call_uuid, partial (only child legs, a few percent of the rows, pay for it).
- The hourly counts gain `answered` (bill_duration > 0) in their key, so the everyday
  "answered calls" total is a sum too (calls/counting/hourly.py). The rows are rebuilt
  from the calls in the migration's transaction; the SQL is this migration's own, as it ran.
"""

from django.db import migrations, models

COVERED = (
    "product", "call_direction", "bill_duration", "hangup_cause_code", "hangup_source",
    "stir_verification", "from_number_norm", "to_number_norm",
)  # fmt: skip
KEYS = "account_id, end_time DESC, call_uuid DESC"
WIDEN_SQL = [
    "DELETE FROM calls_hour_count",
    "ALTER TABLE calls_hour_count ADD COLUMN answered boolean NOT NULL",
    "ALTER TABLE calls_hour_count DROP CONSTRAINT calls_hour_count_pkey",
    """ALTER TABLE calls_hour_count ADD PRIMARY KEY (account_id, hour, product, call_direction, answered) INCLUDE (calls)""",
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
    """INSERT INTO calls_hour_count (account_id, hour, product, call_direction, answered, calls)
    SELECT account_id, date_trunc('hour', end_time, 'UTC'), product, call_direction, bill_duration > 0, count(*) FROM calls_call GROUP BY 1, 2, 3, 4, 5""",
]

NARROW_SQL = [
    "DELETE FROM calls_hour_count",
    "ALTER TABLE calls_hour_count DROP CONSTRAINT calls_hour_count_pkey",
    "ALTER TABLE calls_hour_count DROP COLUMN answered",
    """ALTER TABLE calls_hour_count ADD PRIMARY KEY (account_id, hour, product, call_direction)""",
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
    """INSERT INTO calls_hour_count (account_id, hour, product, call_direction, calls) SELECT account_id, date_trunc('hour', end_time, 'UTC'),
        product, call_direction, count(*) FROM calls_call GROUP BY 1, 2, 3, 4""",
]


def cover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("SET LOCAL statement_timeout = 0")  # one pass over the table
    schema_editor.execute("DROP INDEX IF EXISTS call_account_end_idx")
    schema_editor.execute(
        f"CREATE INDEX call_account_end_idx ON calls_call ({KEYS}) INCLUDE ({', '.join(COVERED)})"
    )
    for sql in WIDEN_SQL:
        schema_editor.execute(sql)


def uncover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in NARROW_SQL:
        schema_editor.execute(sql)
    schema_editor.execute("DROP INDEX IF EXISTS call_account_end_idx")
    schema_editor.execute(f"CREATE INDEX call_account_end_idx ON calls_call ({KEYS})")


class Migration(migrations.Migration):
    dependencies = [("calls", "0008_call_products")]
    operations = [
        migrations.RunPython(cover, uncover),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(
                fields=["account", "hangup_cause_code", "-end_time", "-call_uuid"],
                name="call_account_cause_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(
                fields=["parent_call_uuid"],
                condition=models.Q(parent_call_uuid__isnull=False),
                name="call_parent_idx",
            ),
        ),
    ]
