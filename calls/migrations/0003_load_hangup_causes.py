"""Load the hangup-cause catalogue (calls/vocabulary/hangup.py; 0008 reloads it by product)."""

from django.db import migrations

from calls.vocabulary.hangup import CATALOGUE


def load(apps, schema_editor):
    cause = apps.get_model("calls", "HangupCause")
    for entry in CATALOGUE:
        cause.objects.update_or_create(code=entry.code, defaults={"name": entry.name})


class Migration(migrations.Migration):
    dependencies = [("calls", "0002_partition_call_table")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
