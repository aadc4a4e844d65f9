from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Account
from calls.counting import check, hourly

SHOWN = 100  # differences printed one per line; the rest are summed up


class Command(BaseCommand):
    help = (
        "Compare the hourly call counts (PostgreSQL) with live counts per account, hour and "
        "direction over the last N days; print the differences and exit non-zero if there "
        "are any, or fix them with --repair (a day at a time). With --memo, re-count a "
        "sample of the remembered filter counts instead."
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
        parser.add_argument(
            "--memo",
            type=int,
            nargs="?",
            const=1000,
            default=None,
            metavar="N",
            help="re-count N remembered filter counts drawn at random (default 1000) instead "
            "of the hourly counts; with --repair, forget the filters that differ",
        )

    def handle(
        self, *args, days: int, repair: bool, memo: int | None, verbosity: int, **opts
    ) -> None:
        if days < 1:
            raise CommandError("--days must be positive.")
        if memo is not None and memo < 1:
            raise CommandError("--memo must be positive.")
        if not hourly.enabled():
            self.stdout.write("Not PostgreSQL: totals are live counts; nothing to check.")
            return
        if memo is not None:
            self._check_memo(memo, repair, verbosity)
            return
        since = datetime.now(UTC) - timedelta(days=days)
        found = list(check.check(since=since, repair=repair))
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

    def _check_memo(self, sample: int, repair: bool, verbosity: int) -> None:
        checked, found = check.check_memo(sample=sample, repair=repair)
        for d in found[:SHOWN]:
            self.stdout.write(
                f"filter {d.filter_key} account #{d.account_id} {d.hour:%Y-%m-%d %H}:00 UTC: "
                f"remembered {d.remembered}, live {d.live} ({d.sql})"
            )
        if len(found) > SHOWN:
            self.stdout.write(f"... and {len(found) - SHOWN} more")
        summary = f"{len(found)} of {checked} remembered filter count(s) differ"
        if found and not repair:
            raise CommandError(
                f"{summary}; run check_counts --memo {sample} --repair to forget them "
                "(another sample may miss them: repair with at least as many)."
            )
        if found or verbosity:
            self.stdout.write(f"{summary}{'; forgotten' if found else ''}.")
