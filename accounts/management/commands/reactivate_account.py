from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.management.operator import dumps, find_account, when_it_applies
from accounts.services import account_reactivate


class Command(BaseCommand):
    help = (
        "Reactivate one account (its parent must be active): its auth token and its "
        "unrevoked, unexpired bearer tokens work again; the accounts below it stay "
        "deactivated until each is reactivated in turn."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("auth_id", metavar="AUTH_ID")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, auth_id: str, json: bool, **opts) -> None:
        account = find_account(auth_id)
        try:
            account_reactivate(account=account)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if json:
            self.stdout.write(dumps({"auth_id": account.auth_id, "active": True}))
            return
        self.stdout.write(f"Reactivated {account.auth_id}. {when_it_applies()}")
