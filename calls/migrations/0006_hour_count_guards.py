"""Hourly counts that cannot drift: UPDATE counted, partition-level writes counted,
deltas applied in key order, zero rows removed (see calls/store/hour_counts.py)."""

from django.db import migrations

from calls.store import hour_counts as counts

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
    for sql in counts.GUARD_SQL:
        schema_editor.execute(sql, None)
    for name in _partitions(schema_editor):
        for sql in counts.partition_triggers_sql(name):
            schema_editor.execute(sql, None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in _partitions(schema_editor):
        for trigger in counts.PARTITION_TRIGGERS:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS {trigger} ON "{name}"')
    for sql in counts.UNGUARD_SQL:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("calls", "0005_hour_counts")]
    operations = [migrations.RunPython(install, remove)]
