"""Products: each call is a Voice or a SIP-trunking (Zentrunk) call (docs/plivo.md,
"Products"), with the Zentrunk object's trunk fields and the Insights quality fields.

Existing rows are Zentrunk calls (the product the seed and the old catalogue served). The
hangup-cause table is rebuilt keyed by (product, code) with both of Plivo's catalogues,
and the hourly counts gain the product (so each Plivo path's totals still come from them).
Adding columns with constant defaults is a catalogue change in PostgreSQL, not a rewrite.
"""

from django.db import migrations, models

from calls.vocabulary.hangup import CATALOGUE

SOURCES = ["customer", "carrier", "zentrunk", "Caller", "Callee", "Plivo", "Carrier",
           "API Request", "Answer XML", "Error", "Unknown"]  # fmt: skip


# The hourly counts' product key (this migration's own SQL, as it ran).
PRODUCT_SQL = [
    """ALTER TABLE calls_hour_count ADD COLUMN IF NOT EXISTS product varchar(8) NOT NULL DEFAULT 'zentrunk'""",
    "ALTER TABLE calls_hour_count ALTER COLUMN product DROP DEFAULT",
    "ALTER TABLE calls_hour_count DROP CONSTRAINT IF EXISTS calls_hour_count_pkey",
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
]


def load_catalogue(apps, schema_editor):
    cause = apps.get_model("calls", "HangupCause")
    cause.objects.bulk_create(cause(product=e.product, code=e.code, name=e.name) for e in CATALOGUE)


def counts_by_product(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PRODUCT_SQL:
            schema_editor.execute(sql)


def _float():
    return models.FloatField(blank=True, null=True)


class Migration(migrations.Migration):
    dependencies = [("calls", "0007_call_integrity")]
    operations = [
        migrations.AddField(
            model_name="call",
            name="product",
            field=models.CharField(
                choices=[("voice", "voice"), ("zentrunk", "zentrunk")],
                db_default="zentrunk",
                default="zentrunk",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="call",
            name="trunk_domain",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="call",
            name="from_country",
            field=models.CharField(blank=True, max_length=2, null=True),
        ),
        migrations.AddField(
            model_name="call",
            name="to_country",
            field=models.CharField(blank=True, max_length=2, null=True),
        ),
        migrations.AddField(
            model_name="call",
            name="transport_protocol",
            field=models.CharField(
                blank=True,
                choices=[("udp", "udp"), ("tcp", "tcp"), ("tls", "tls")],
                max_length=3,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="call",
            name="srtp",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="call",
            name="secure_trunking",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="call",
            name="secure_trunking_rate",
            field=models.DecimalField(blank=True, decimal_places=5, max_digits=14, null=True),
        ),
        migrations.AddField(model_name="call", name="rtt", field=_float()),
        migrations.AddField(model_name="call", name="jitter", field=_float()),
        migrations.AddField(model_name="call", name="packet_loss", field=_float()),
        migrations.AddField(model_name="call", name="post_dial_delay", field=_float()),
        migrations.AddField(model_name="call", name="quality_score", field=_float()),
        migrations.AlterField(
            model_name="call",
            name="hangup_source",
            field=models.CharField(choices=[(s, s) for s in SOURCES], max_length=16),
        ),
        migrations.DeleteModel(name="HangupCause"),
        migrations.CreateModel(
            name="HangupCause",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "product",
                    models.CharField(
                        choices=[("voice", "voice"), ("zentrunk", "zentrunk")], max_length=8
                    ),
                ),
                ("code", models.IntegerField()),
                ("name", models.CharField(max_length=100)),
            ],
            options={"ordering": ["product", "code"]},
        ),
        migrations.AddConstraint(
            model_name="hangupcause",
            constraint=models.UniqueConstraint(
                fields=("product", "code"), name="hangup_cause_product_code"
            ),
        ),
        migrations.RunPython(load_catalogue, migrations.RunPython.noop),
        migrations.RunPython(counts_by_product),  # one way: the old functions are gone
    ]
