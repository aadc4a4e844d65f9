"""The number indexes INCLUDE the product (docs/performance.md, "Numbers"): every Plivo
total restricts the product, so a number's or a long prefix's total is counted
index-only, never from the heap. Rebuilding the two indexes reads the table once (writes
wait meanwhile: run it in a quiet hour on a big table)."""

from django.db import migrations, models


def no_timeout(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET LOCAL statement_timeout = 0")  # one pass over the table


def _number_index(column: str, name: str) -> models.Index:
    return models.Index(
        fields=["account", column, "end_time"],
        include=("product",),
        name=name,
        opclasses=["int8_ops", "varchar_pattern_ops", "timestamptz_ops"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("calls", "0012_bounded_count_memo"),
    ]

    operations = [
        migrations.RunPython(no_timeout, no_timeout),
        migrations.RemoveIndex(model_name="call", name="call_account_from_idx"),
        migrations.RemoveIndex(model_name="call", name="call_account_to_idx"),
        migrations.AddIndex(
            model_name="call", index=_number_index("from_number_norm", "call_account_from_idx")
        ),
        migrations.AddIndex(
            model_name="call", index=_number_index("to_number_norm", "call_account_to_idx")
        ),
    ]
