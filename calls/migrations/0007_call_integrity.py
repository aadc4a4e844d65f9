"""Integrity of the stored calls (PostgreSQL; nothing to do on SQLite).

1. The CHECK constraints of the model's non-negative columns, which 0002 left off the
   partitioned table and so off every partition (see partitions.restore_checks).

Not atomic: each step commits on its own, so that validating the constraints over a big
table does not hold every partition locked; a re-run picks up where a failed run stopped.
"""

from django.db import migrations

from calls import partitions


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    partitions.restore_checks(apps.get_model("calls", "Call"))


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("calls", "0005_hour_counts")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
