from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calls.bulk.progress import progress_bar
from calls.bulk.purge import PurgeRefused, call_purge
from calls.store import locks
from calls.store.locks import LockBusy


class Command(BaseCommand):
    help = (
        "Enforce retention: remove calls that ended more than N days ago (default "
        "CALLS_RETENTION_DAYS, 90 unless set). "
        "Drops whole partitions on PostgreSQL, deletes the rest in bounded batches. "
        "Safe to interrupt and re-run. One run at a time across hosts (advisory lock): a "
        "second run exits 0 at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days", type=int, metavar="N",
            help=f"at least CALLS_RETENTION_DAYS, the default ({settings.CALLS_RETENTION_DAYS})",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
        parser.add_argument("--batch-size", type=int, default=10_000, metavar="B")
        parser.add_argument(
            "--wait", action="store_true", help="wait for another run to finish, then run"
        )

    def handle(self, *args, older_than_days, dry_run, batch_size, wait, verbosity, **opts):
        if batch_size < 1:
            raise CommandError("--batch-size must be positive.")
        with locks.command_lock("purge_calls", wait=wait) as mine:
            if not mine:
                if verbosity:
                    self.stdout.write(locks.another_run("purge_calls"))
                return
            self._purge(older_than_days, dry_run, batch_size, verbosity)

    def _purge(self, older_than_days, dry_run, batch_size, verbosity) -> None:
        try:
            with progress_bar(total=None, verbosity=verbosity, desc="purge") as progress:
                report = call_purge(
                    older_than_days=older_than_days,
                    dry_run=dry_run,
                    batch_size=batch_size,
                    progress=progress,
                )
        except (PurgeRefused, LockBusy) as exc:
            raise CommandError(str(exc)) from None
        if not verbosity and not dry_run:  # -v 0: silent unless it fails (cron mails output)
            return  # (a dry run prints what it found: that is all it does)
        verb = "Would remove" if dry_run else "Removed"
        for name, rows in report.partitions:
            self.stdout.write(f"{verb} partition {name} ({rows} rows)")
        self.stdout.write(
            f"{verb} {report.rows} calls that ended before {report.cutoff:%Y-%m-%d %H:%M:%S} "
            f"UTC: {len(report.partitions)} partition(s) dropped, "
            f"{report.rows_deleted} rows deleted in batches."
        )
        if report.remembered_forgotten:
            self.stdout.write(
                f"Forgot {report.remembered_forgotten} remembered filter counts (hours past "
                "the line, filters nobody asked for lately)."
            )
