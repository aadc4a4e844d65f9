"""Filtered totals and pages without reading the heap (docs/performance.md).

- The list index (account, end_time DESC, call_uuid DESC) becomes a covering index on
  PostgreSQL: it INCLUDEs the narrow filter columns, so a filtered COUNT over a window, and
  the keys of a filtered page, are index-only scans (the table is append-only, so the
  visibility map stays set once vacuumed). Same name, same keys: the model's state does not
  change, and SQLite keeps the plain index (it has no INCLUDE).
- (account, hangup_cause_code, end_time DESC, call_uuid DESC): an equality on the cause
  over a long window reads only its calls, newest first.
- parent_call_uuid, partial (only child legs, a few percent of the rows, pay for it).
- The hourly counts gain `answered` (bill_duration > 0) in their key, so the everyday
  "answered calls" total is a sum too (calls/store/hour_counts.py).
"""

from django.db import migrations, models

from calls.store import hour_counts

COVERED = (
    "product", "call_direction", "bill_duration", "hangup_cause_code", "hangup_source",
    "stir_verification", "from_number_norm", "to_number_norm",
)  # fmt: skip
KEYS = "account_id, end_time DESC, call_uuid DESC"


def cover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("SET LOCAL statement_timeout = 0")  # one pass over the table
    schema_editor.execute("DROP INDEX IF EXISTS call_account_end_idx")
    schema_editor.execute(
        f"CREATE INDEX call_account_end_idx ON calls_call ({KEYS}) INCLUDE ({', '.join(COVERED)})"
    )
    for sql in hour_counts.WIDEN_SQL:
        schema_editor.execute(sql)


def uncover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in hour_counts.NARROW_SQL:
        schema_editor.execute(sql)
    schema_editor.execute("DROP INDEX IF EXISTS call_account_end_idx")
    schema_editor.execute(f"CREATE INDEX call_account_end_idx ON calls_call ({KEYS})")


class Migration(migrations.Migration):
    dependencies = [("calls", "0008_call_products")]
    operations = [
        migrations.RunPython(cover, uncover),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(
                fields=["account", "hangup_cause_code", "-end_time", "-call_uuid"],
                name="call_account_cause_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(
                fields=["parent_call_uuid"],
                condition=models.Q(parent_call_uuid__isnull=False),
                name="call_parent_idx",
            ),
        ),
    ]
