"""Per-account, per-hour call counts kept by triggers (PostgreSQL): calls/store/hour_counts.py."""

from django.db import migrations

from calls.store import hour_counts as counts


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The backfill reads the whole table: not subject to the API's statement timeout.
        schema_editor.execute("SET LOCAL statement_timeout = 0")
        for sql in counts.INSTALL_SQL:
            schema_editor.execute(sql)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in counts.REMOVE_SQL:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("calls", "0004_end_time_index")]
    operations = [migrations.RunPython(install, remove)]
