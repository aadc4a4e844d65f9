"""Remembered filter counts, bounded (calls/counting/remembered.py): the memo is keyed by
the filter first, so forgetting a filter is a range of its key (purge forgot each filter
by a sequential scan: 124 ms a filter at 2.6M rows), and each filter has a row in
calls_count_filter naming its tenant, its SQL, its asks and the memo rows it holds, for
the per-tenant cap and `check_counts --memo`. Evictions delete as many rows as they
write, so autovacuum visits the memo every ~2% of dead rows (not 20%): the space they free
is reused before the table grows. What was remembered is dropped (it is a
cache: asked again, a filter is counted again). The SQL is this migration's own, as it ran.
"""

from django.db import migrations

INSTALL_SQL = [
    "DROP TABLE IF EXISTS calls_count_memo",
    "DROP TABLE IF EXISTS calls_count_memo_use",
    """CREATE TABLE calls_count_memo (
        filter_key uuid NOT NULL,
        account_id bigint NOT NULL,
        hour timestamptz NOT NULL,
        calls bigint NOT NULL,
        total bigint NOT NULL,
        epoch bigint NOT NULL,
        PRIMARY KEY (filter_key, account_id, hour) INCLUDE (calls, total, epoch))
        WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000)""",
    "CREATE INDEX calls_count_memo_hour_idx ON calls_count_memo (hour)",
    """CREATE TABLE calls_count_filter (
        filter_key uuid PRIMARY KEY,
        tenant_id bigint NOT NULL,
        sql text NOT NULL,
        asks bigint NOT NULL,
        used timestamptz NOT NULL,
        rows bigint NOT NULL DEFAULT 0)""",
    "CREATE INDEX calls_count_filter_tenant_idx ON calls_count_filter (tenant_id, used)",
    "CREATE INDEX calls_count_filter_used_idx ON calls_count_filter (used)",
]
# Back to 0011's tables (empty: a cache).
REMOVE_SQL = [
    "DROP TABLE IF EXISTS calls_count_filter",
    "DROP TABLE IF EXISTS calls_count_memo",
    """CREATE TABLE calls_count_memo (
        account_id bigint NOT NULL,
        filter_key uuid NOT NULL,
        hour timestamptz NOT NULL,
        calls bigint NOT NULL,
        total bigint NOT NULL,
        epoch bigint NOT NULL,
        PRIMARY KEY (account_id, filter_key, hour) INCLUDE (calls, total, epoch))""",
    "CREATE INDEX calls_count_memo_hour_idx ON calls_count_memo (hour)",
    """CREATE TABLE calls_count_memo_use (
        filter_key uuid PRIMARY KEY,
        used date NOT NULL)""",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in INSTALL_SQL:
            schema_editor.execute(sql)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in REMOVE_SQL:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("calls", "0011_count_memo")]
    operations = [migrations.RunPython(install, remove)]
