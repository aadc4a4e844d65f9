from django.core.management.base import BaseCommand, CommandParser

from accounts.management.operator import dumps, find_account, when_it_applies
from accounts.services import account_rotate_auth_token


class Command(BaseCommand):
    help = "Give an account a new auth token (printed once); the old one stops working."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("auth_id", metavar="AUTH_ID")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, auth_id: str, json: bool, **opts) -> None:
        account = find_account(auth_id)
        token = account_rotate_auth_token(account=account)
        if json:
            self.stdout.write(dumps({"auth_id": account.auth_id, "auth_token": token}))
            return
        self.stdout.write(f"auth_id:    {account.auth_id}")
        self.stdout.write(f"auth_token: {token}  (shown once; store it now)")
        self.stdout.write(f"The old auth token is retired. {when_it_applies()}")
