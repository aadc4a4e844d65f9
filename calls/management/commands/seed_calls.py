import os
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Account
from calls.bulk.progress import progress_bar
from calls.bulk.seed import call_seed, seed_accounts
from calls.bulk.synthetic import CHUNK, MIXED, PRODUCT_CHOICES


class Command(BaseCommand):
    help = (
        "Store N realistic synthetic calls for one account, or spread over K generated "
        "accounts (one holding ~30%), as Voice or SIP-trunking (Zentrunk) calls. "
        "Deterministic for a --seed; re-running resumes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--account", metavar="AUTH_ID", help="an existing account")
        who.add_argument("--accounts", type=int, metavar="K", help="generate K accounts")
        parser.add_argument("--count", type=int, required=True, metavar="N")
        parser.add_argument("--days", type=int, default=90, help="spread over the last D days")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--product",
            choices=PRODUCT_CHOICES,
            default=MIXED,
            help="every account's product, or mixed (default): ~30%% of the accounts voice, "
            "picked by the seed, the rest zentrunk; a lone account is zentrunk",
        )
        parser.add_argument(
            "--batch-size", type=int, default=CHUNK, metavar="B", help="rows per transaction"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="processes making and loading chunks (PostgreSQL; default: cores, max 4)",
        )

    def handle(
        self, *args, account, accounts, count, days, seed, product, batch_size, workers, **o
    ):
        verbosity = o["verbosity"]
        if count < 1 or days < 1 or batch_size < 1:
            raise CommandError("--count, --days and --batch-size must be positive.")
        if account:
            try:
                target = Account.objects.get(auth_id=account)
            except Account.DoesNotExist:
                raise CommandError(f"No account with auth id {account}.") from None
            ids, weights = [target.pk], None
        else:
            if accounts < 1:
                raise CommandError("--accounts must be positive.")
            ids, weights = seed_accounts(count=accounts, seed=seed)
            if verbosity:
                self.stdout.write(f"Created {len(ids)} accounts.")
        started = time.perf_counter()
        with progress_bar(total=count, verbosity=verbosity, desc="seed") as progress:
            written = call_seed(
                account_ids=ids,
                weights=weights,
                count=count,
                days=days,
                seed=seed,
                product=product,
                batch_size=batch_size,
                workers=max(1, workers),
                progress=progress,
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Stored {written} calls ({count - written} already there) in {elapsed:.1f} s, "
            f"{written / elapsed if elapsed else 0:,.0f} rows/s."
        )
