"""Turn the call table into a table range-partitioned on end_time (PostgreSQL only).

Django keeps seeing one table keyed by call_uuid; physically the primary key is
(call_uuid, end_time) because PostgreSQL requires the partition key in it. The indexes
declared on the model are re-created on the partitioned parent, so every partition gets
them. On SQLite nothing changes.
"""

from django.db import migrations

from calls.store import partitions


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    call = apps.get_model("calls", "Call")
    for sql in partitions.partition_of_table_sql():
        schema_editor.execute(sql)
    for index in call._meta.indexes:
        schema_editor.add_index(call, index)


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("calls", "0001_initial")]
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
