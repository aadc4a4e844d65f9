import json
import shlex
from datetime import timedelta
from uuid import uuid4

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, BearerToken
from accounts.services import (
    account_create,
    account_rotate_auth_token,
    token_create,
    token_revoke,
)
from calls.bulk.seed import call_seed
from calls.models import VOICE, ZENTRUNK, Call

MAIN_NAME = "Demo main account"
SUB_NAME = "Demo subaccount"
WRITE_TOKEN_NAME = "demo write"


class Command(BaseCommand):
    help = (
        "Create (once) a demo main account with a subaccount and a few thousand calls over "
        "the last 100 days (the main account's Voice calls, the subaccount's SIP-trunking "
        "calls); print fresh demo credentials (read and write) and ready curl lines."
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
        write_secret = _rotate_write_token(main)
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
            f"\nPost a finished call (write token {write_secret}, calls.write only):\n"
            f"  curl -u {main.auth_id}:{write_secret} -H 'Content-Type: application/json' "
            f"--data {shlex.quote(_sample_call())} '{base}/ingest/v1/calls?product=voice'\n"
            f"Admin: {base}/admin/  (make a login: .venv/bin/python manage.py createsuperuser)\n"
        )


def _rotate_write_token(account: Account) -> str:
    """A fresh `calls.write` token; the previous demo one is revoked, as the auth tokens are."""
    for token in BearerToken.objects.filter(account=account, name=WRITE_TOKEN_NAME):
        token_revoke(token=token)
    issued = token_create(account=account, scopes=["calls.write"], name=WRITE_TOKEN_NAME)
    return issued.secret


def _sample_call() -> str:
    """One answered outbound call that ended a minute ago, in Plivo's field names."""
    end = timezone.now().replace(microsecond=0) - timedelta(minutes=1)
    record = {
        "call_uuid": str(uuid4()),
        "call_direction": "outbound",
        "from_number": "14155550100",
        "to_number": "442071234567",
        "initiation_time": (end - timedelta(seconds=75)).isoformat(),
        "answer_time": (end - timedelta(seconds=62)).isoformat(),
        "end_time": end.isoformat(),
        "call_duration": 75,
        "bill_duration": 62,
    }
    return json.dumps(record, separators=(",", ":"))
