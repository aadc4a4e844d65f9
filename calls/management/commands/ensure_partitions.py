from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calls.store import locks, partitions
from calls.store.locks import LockBusy


class Command(BaseCommand):
    help = (
        "Create the call-table partitions from the retention line to DAYS ahead, and give "
        "any partition lacking them the autovacuum settings index-only counts rely on "
        "(PostgreSQL; a no-op elsewhere). Idempotent and safe to run alongside traffic; "
        "one run at a time across hosts (advisory lock): a second run exits 0 at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ahead",
            type=int,
            default=settings.CALLS_PARTITIONS_AHEAD_DAYS,
            metavar="DAYS",
            help="how far past today to create partitions (default %(default)s)",
        )
        parser.add_argument(
            "--wait", action="store_true", help="wait for another run to finish, then run"
        )

    def handle(self, *args, ahead: int, wait: bool, verbosity: int, **opts) -> None:
        if not partitions.enabled():
            if verbosity:
                self.stdout.write("Not PostgreSQL: the call table is not partitioned.")
            return
        with locks.command_lock("ensure_partitions", wait=wait) as mine:
            if not mine:
                if verbosity:
                    self.stdout.write(locks.another_run("ensure_partitions"))
                return
            try:
                created = partitions.ensure_ahead(ahead_days=max(ahead, 0))
                tuned = partitions.tune_autovacuum()
            except LockBusy as exc:
                raise CommandError(str(exc)) from None
        if not verbosity:  # -v 0: silent unless it fails (cron mails any output)
            return
        for part in created:
            self.stdout.write(f"created {part.name} [{part.start:%Y-%m-%d}, {part.end:%Y-%m-%d})")
        for name in tuned:
            self.stdout.write(f"gave {name} the partitions' autovacuum settings")
        self.stdout.write(
            f"{len(created)} partition(s) created, {len(partitions.existing())} in all"
        )
