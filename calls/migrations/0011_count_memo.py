"""Remembered filter counts (calls/store/count_memo.py): exact totals for any filter from
per-hour counts taken once and kept while their hour is unchanged."""

from django.db import migrations

from calls.store import hour_counts


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in hour_counts.MEMO_SQL:
        schema_editor.execute(sql)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in hour_counts.UNMEMO_SQL:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("calls", "0010_rates")]
    operations = [migrations.RunPython(install, remove)]
