from django.core.management.base import BaseCommand, CommandParser

from accounts.management.operator import dumps, find_account, when_it_applies
from accounts.models import Account
from accounts.services import account_deactivate


class Command(BaseCommand):
    help = (
        "Deactivate an account and every account below it: their auth tokens and bearer "
        "tokens stop working (suspended, not revoked: reactivate_account restores them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("auth_id", metavar="AUTH_ID")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, auth_id: str, json: bool, **opts) -> None:
        account = find_account(auth_id)
        account_deactivate(account=account)
        ids = Account.objects.subtree_ids(account.pk, active_only=False)
        below = sorted(
            Account.objects.filter(pk__in=ids)
            .exclude(pk=account.pk)
            .values_list("auth_id", flat=True)
        )
        if json:
            self.stdout.write(dumps({"auth_id": account.auth_id, "active": False, "below": below}))
            return
        self.stdout.write(
            f"Deactivated {account.auth_id} and the {len(below)} account(s) below it"
            + (f": {', '.join(below)}." if below else ".")
        )
        self.stdout.write(when_it_applies())
