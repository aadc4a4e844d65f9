"""Load the hangup-cause catalogue shipped in fixtures/hangup_causes.json."""

import json
from pathlib import Path

from django.db import migrations

CATALOGUE = Path(__file__).resolve().parents[2] / "fixtures" / "hangup_causes.json"


def load(apps, schema_editor):
    cause = apps.get_model("calls", "HangupCause")
    for entry in json.loads(CATALOGUE.read_text()):
        cause.objects.update_or_create(code=entry["code"], defaults={"name": entry["name"]})


class Migration(migrations.Migration):
    dependencies = [("calls", "0002_partition_call_table")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
