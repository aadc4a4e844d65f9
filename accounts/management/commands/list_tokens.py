from django.core.management.base import BaseCommand, CommandParser

from accounts.management.operator import describe_token, dumps, find_account
from accounts.models import BearerToken


class Command(BaseCommand):
    help = (
        "List bearer tokens (every account's, or AUTH_ID's own): id, account, state (usable, "
        "revoked, expired, suspended), scopes, expiry, name. Never a secret: only digests are "
        "stored. The id is what rotate_token and revoke_token take."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("auth_id", nargs="?", metavar="AUTH_ID")
        parser.add_argument("--json", action="store_true", help="print one JSON array")

    def handle(self, *args, auth_id: str | None, json: bool, **opts) -> None:
        tokens = BearerToken.objects.select_related("account").order_by("account__auth_id", "pk")
        if auth_id:
            tokens = tokens.filter(account=find_account(auth_id))
        described = [describe_token(token) for token in tokens]
        if json:
            self.stdout.write(dumps(described))
            return
        for t in described:
            expires = t["expires_at"] or "never"
            self.stdout.write(
                f"{t['id']:>6}  {t['auth_id']}  {t['state']:<9}  {','.join(t['scopes'])}  "
                f"expires {expires}  {t['name']}".rstrip()
            )
        self.stdout.write(f"{len(described)} token(s)")
