import json as jsonlib

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Account
from accounts.services import account_create


class Command(BaseCommand):
    help = "Create a main account (or, with --parent, a subaccount); print its auth id and token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--parent", metavar="AUTH_ID", help="make a subaccount of this one")
        parser.add_argument("--timezone", default="UTC", help="IANA zone for output (default UTC)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, name: str, parent: str | None, timezone: str, json: bool, **opts):
        parent_account = None
        if parent:
            try:
                parent_account = Account.objects.get(auth_id=parent)
            except Account.DoesNotExist:
                raise CommandError(f"No account with auth id {parent}.") from None
        try:
            issued = account_create(name=name, parent=parent_account, timezone_name=timezone)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        acc = issued.account
        if json:
            self.stdout.write(_json_dump(acc, issued.auth_token))
        else:
            kind = "subaccount" if parent_account else "main account"
            self.stdout.write(f"Created {kind} {acc.name!r}")
            self.stdout.write(f"auth_id:    {acc.auth_id}")
            self.stdout.write(f"auth_token: {issued.auth_token}  (shown once; store it now)")


def _json_dump(acc: Account, token: str) -> str:
    return jsonlib.dumps(
        {
            "auth_id": acc.auth_id,
            "auth_token": token,
            "name": acc.name,
            "parent": acc.parent.auth_id if acc.parent else None,
            "partner_sid": str(acc.partner_sid),
            "timezone": acc.timezone,
        }
    )
