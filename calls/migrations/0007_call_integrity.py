"""Integrity of the stored calls (PostgreSQL; nothing to do on SQLite).

1. The CHECK constraints of the model's non-negative columns, which 0002 left off the
   partitioned table and so off every partition (see partitions.restore_checks).
2. One row per call_uuid: the key table and its triggers (calls/store/keys.py). A call stored
   twice before this keeps one row (see keys.install).

Not atomic: each step commits on its own, so that validating the constraints over a big
table does not hold every partition locked; a re-run picks up where a failed run stopped.
"""

from django.db import migrations

from calls.store import keys, partitions


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    partitions.restore_checks(apps.get_model("calls", "Call"))
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [keys.TABLE])
        missing = cur.fetchone()[0] is None
    if missing:
        keys.install()


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        keys.remove()  # the constraints stay: the table was always meant to have them


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("calls", "0006_hour_count_guards")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
