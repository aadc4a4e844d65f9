import shlex
from datetime import timedelta
from json import dumps
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
from calls.bulk.demo_calls import store_demo_calls
from calls.bulk.seed import call_seed
from calls.models import Call
from calls.vocabulary.choices import VOICE, ZENTRUNK
from cdrapi.first_run import command_prefix

MAIN_NAME = "Demo main account"
SUB_NAME = "Demo subaccount"
WRITE_TOKEN_NAME = "demo write"
READ_TOKEN_NAME = "demo read"


class Command(BaseCommand):
    help = (
        "Create (once) a demo main account with a subaccount and a few thousand calls over "
        "the last 100 days (Voice calls on both, SIP-trunking calls on the subaccount, and "
        "the calls the docs' examples name); print fresh demo credentials (read and write) "
        "and ready curl lines, each working as printed from the checkout in another shell "
        "(--json: the credentials as one JSON object, for scripts)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calls", type=int, default=4000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--json", action="store_true", help="print the credentials as JSON")

    @transaction.atomic
    def handle(self, *args, calls: int, host: str, port: str, json: bool, **opts) -> None:
        main = Account.objects.filter(name=MAIN_NAME, parent=None).first()
        if main is None:
            main = account_create(name=MAIN_NAME).account
            account_create(name=SUB_NAME, parent=main)
        sub = main.subaccounts.order_by("pk").first()
        if not Call.objects.filter(account__in=[main, sub]).exists():
            # Up to this moment (not midnight, the seeder's default), so today has calls too;
            # 60% the main account's Voice calls, 15% the subaccount's (what `subaccount=`
            # narrows to), 25% the subaccount's Zentrunk calls: every Plivo path shows some.
            stored = 0
            sub_voice, trunk = calls * 15 // 100, calls // 4
            shares = (
                (main, VOICE, calls - sub_voice - trunk),
                (sub, VOICE, sub_voice),
                (sub, ZENTRUNK, trunk),
            )
            for account, product, count in shares:
                if count:
                    stored += call_seed(
                        account_ids=[account.pk],
                        count=count,
                        days=100,
                        now=timezone.now(),
                        product=product,
                    )
            named, refused = store_demo_calls(main=main, now=timezone.now())
            stored += named
            for reason in refused:
                self.stderr.write(f"A call the docs' examples name was not stored: {reason}")
            if not json:
                self.stdout.write(f"Loaded {stored} demo calls over the last 100 days.")
        # Secrets are stored hashed, so the only way to show working ones is to rotate.
        main_token = account_rotate_auth_token(account=main)
        sub_token = account_rotate_auth_token(account=sub)
        read_secret = _rotate_token(main, READ_TOKEN_NAME, ["calls.read", "calls.read_descendant"])
        write_secret = _rotate_token(main, WRITE_TOKEN_NAME, ["calls.write"])
        base = f"http://{host}:{port}"
        if json:
            made = {
                "main": {"auth_id": main.auth_id, "auth_token": main_token},
                "subaccount": {"auth_id": sub.auth_id, "auth_token": sub_token},
                "read_token": read_secret,
                "write_token": write_secret,
                "url": base,
            }
            self.stdout.write(dumps(made))
            return
        voice = f"{base}/v1/Account/{main.auth_id}/Call/?limit=2"
        trunk = f"{base}/v1/Account/{sub.auth_id}/Zentrunk/Call/?limit=2"
        # A command typed in another shell reads the checkout's .env; what it would not
        # find there (this run's DATABASE_URL given in the environment) goes before it.
        manage = f"{command_prefix()}.venv/bin/python manage.py"
        self.stdout.write(
            "\nDemo credentials (rotated on every `make run`):\n"
            f"  main account  auth_id {main.auth_id}  auth_token {main_token}\n"
            f"  subaccount    auth_id {sub.auth_id}  auth_token {sub_token}\n"
            f"  CarrierX bearer token {read_secret}  (main account, calls.read + descendants)\n\n"
            "Try (Voice calls, SIP-trunking calls, the CarrierX face):\n"
            f"  curl -u {main.auth_id}:{main_token} '{voice}'\n"
            f"  curl -u {sub.auth_id}:{sub_token} '{trunk}'\n"
            f"  curl -H 'Authorization: Bearer {read_secret}' "
            f"'{base}/core/v2/calls/call_drs?limit=2'\n"
            f"\nPost a finished call (write token {write_secret}, calls.write only):\n"
            f"  curl -u {main.auth_id}:{write_secret} -H 'Content-Type: application/json' "
            f"--data {shlex.quote(_sample_call())} '{base}/ingest/v1/calls?product=voice'\n"
            f"Admin: {base}/admin/  (make a login: {manage} createsuperuser)\n"
            f"More tokens: {manage} create_token {main.auth_id} --scopes calls.read\n"
        )


def _rotate_token(account: Account, name: str, scopes: list[str]) -> str:
    """A fresh demo bearer token; the previous one of that name is revoked, as the auth
    tokens are."""
    for token in BearerToken.objects.filter(account=account, name=name):
        token_revoke(token=token)
    return token_create(account=account, scopes=scopes, name=name).secret


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
    return dumps(record, separators=(",", ":"))
