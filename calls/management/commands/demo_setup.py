from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from accounts.services import account_create, account_rotate_auth_token
from calls.bulk.seed import call_seed
from calls.models import VOICE, ZENTRUNK, Call

MAIN_NAME = "Demo main account"
SUB_NAME = "Demo subaccount"


class Command(BaseCommand):
    help = (
        "Create (once) a demo main account with a subaccount and a few thousand calls over "
        "the last 100 days (the main account's Voice calls, the subaccount's SIP-trunking "
        "calls); print fresh demo credentials and ready curl lines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calls", type=int, default=4000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    @transaction.atomic
    def handle(self, *args, calls: int, host: str, port: str, **opts) -> None:
        main = Account.objects.filter(name=MAIN_NAME, parent=None).first()
        if main is None:
            main = account_create(name=MAIN_NAME).account
            account_create(name=SUB_NAME, parent=main)
        sub = main.subaccounts.order_by("pk").first()
        if not Call.objects.filter(account__in=[main, sub]).exists():
            # Up to this moment (not midnight, the seeder's default), so today has calls too;
            # three quarters Voice calls of the main account, the rest the subaccount's
            # Zentrunk calls, so that both Plivo paths have something to show.
            stored = 0
            shares = ((main, VOICE, calls - calls // 4), (sub, ZENTRUNK, calls // 4))
            for account, product, count in shares:
                if count:
                    stored += call_seed(
                        account_ids=[account.pk],
                        count=count,
                        days=100,
                        now=timezone.now(),
                        product=product,
                    )
            self.stdout.write(f"Loaded {stored} demo calls over the last 100 days.")
        # Secrets are stored hashed, so the only way to show working ones is to rotate.
        main_token = account_rotate_auth_token(account=main)
        sub_token = account_rotate_auth_token(account=sub)
        base = f"http://{host}:{port}"
        voice = f"{base}/v1/Account/{main.auth_id}/Call/?limit=2"
        trunk = f"{base}/v1/Account/{sub.auth_id}/Zentrunk/Call/?limit=2"
        self.stdout.write(
            "\nDemo credentials (rotated on every `make run`):\n"
            f"  main account  auth_id {main.auth_id}  auth_token {main_token}\n"
            f"  subaccount    auth_id {sub.auth_id}  auth_token {sub_token}\n\n"
            "Try (Voice calls, then SIP-trunking calls):\n"
            f"  curl -u {main.auth_id}:{main_token} '{voice}'\n"
            f"  curl -u {sub.auth_id}:{sub_token} '{trunk}'\n"
            f"Admin: {base}/admin/  (make a login: .venv/bin/python manage.py createsuperuser)\n"
        )
