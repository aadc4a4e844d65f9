"""After migrate, make sure the partitions for the retention window and ahead exist."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def create_partitions_after_migrate(sender, using="default", **kwargs) -> None:
    if getattr(sender, "name", None) != "calls":
        return
    from django.db import connections

    from calls.store import partitions

    if connections[using].vendor != "postgresql":
        return
    from django.db.migrations.executor import MigrationExecutor

    # Only once the table is partitioned (a partial migrate may stop before that).
    loader = MigrationExecutor(connections[using]).loader
    if ("calls", "0002_partition_call_table") in loader.applied_migrations:
        partitions.ensure_ahead()
        partitions.tune_autovacuum()  # partitions made before every one had its settings
