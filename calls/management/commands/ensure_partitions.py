from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calls.store import partitions
from calls.store.locks import LockBusy


class Command(BaseCommand):
    help = (
        "Create the call-table partitions from the retention line to DAYS ahead "
        "(PostgreSQL; a no-op elsewhere). Idempotent and safe to run alongside traffic."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ahead",
            type=int,
            default=settings.CALLS_PARTITIONS_AHEAD_DAYS,
            metavar="DAYS",
            help="how far past today to create partitions (default %(default)s)",
        )

    def handle(self, *args, ahead: int, **opts) -> None:
        if not partitions.enabled():
            self.stdout.write("Not PostgreSQL: the call table is not partitioned; nothing to do.")
            return
        try:
            created = partitions.ensure_ahead(ahead_days=max(ahead, 0))
        except LockBusy as exc:
            raise CommandError(str(exc)) from None
        for part in created:
            self.stdout.write(f"created {part.name} [{part.start:%Y-%m-%d}, {part.end:%Y-%m-%d})")
        self.stdout.write(
            f"{len(created)} partition(s) created, {len(partitions.existing())} in all"
        )
