from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Account
from calls.bulk import count_check
from calls.query import counts

SHOWN = 100  # differences printed one per line; the rest are summed up


class Command(BaseCommand):
    help = (
        "Compare the hourly call counts (PostgreSQL) with live counts per account, hour and "
        "direction over the last N days; print the differences and exit non-zero if there "
        "are any, or fix them with --repair (a day at a time)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.CALLS_RETENTION_DAYS,
            metavar="N",
            help="how far back to check (default %(default)s: the retention window)",
        )
        parser.add_argument("--repair", action="store_true", help="fix what differs")

    def handle(self, *args, days: int, repair: bool, verbosity: int, **opts) -> None:
        if days < 1:
            raise CommandError("--days must be positive.")
        if not counts.enabled():
            self.stdout.write("Not PostgreSQL: totals are live counts; nothing to check.")
            return
        since = datetime.now(UTC) - timedelta(days=days)
        found = list(count_check.check(since=since, repair=repair))
        auth_ids = dict(
            Account.objects.filter(pk__in={d.account_id for d in found[:SHOWN]}).values_list(
                "pk", "auth_id"
            )
        )
        for d in found[:SHOWN]:
            who = auth_ids.get(d.account_id, f"account #{d.account_id}")
            self.stdout.write(
                f"{who} {d.hour:%Y-%m-%d %H}:00 UTC {d.product} {d.call_direction} "
                f"{'answered' if d.answered else 'unanswered'}: "
                f"counted {d.counted}, live {d.live}"
            )
        if len(found) > SHOWN:
            self.stdout.write(f"... and {len(found) - SHOWN} more")
        counted, live = sum(d.counted for d in found), sum(d.live for d in found)
        summary = f"{len(found)} difference(s) in the last {days} day(s)" + (
            f" (counted {counted} calls, live {live})" if found else ""
        )
        if found and not repair:
            raise CommandError(f"{summary}; run check_counts --repair to fix them.")
        if found or verbosity:  # -v 0 prints nothing when all is well (cron mails output)
            self.stdout.write(f"{summary}{'; repaired' if found else ''}.")
