import json as jsonlib
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import SCOPES, Account
from accounts.services import parse_scopes, token_create


class Command(BaseCommand):
    help = "Mint a CarrierX-style bearer token for an account; print it (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("auth_id")
        parser.add_argument(
            "--scopes", default="calls.read", help=f"comma-separated, of: {', '.join(SCOPES)}"
        )
        parser.add_argument("--name", default="", help="a label to recognise the token by")
        parser.add_argument("--expires-in-days", type=int, default=None, metavar="DAYS")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, auth_id: str, scopes: str, name: str, expires_in_days, json, **opts):
        try:
            account = Account.objects.get(auth_id=auth_id)
        except Account.DoesNotExist:
            raise CommandError(f"No account with auth id {auth_id}.") from None
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        expires_at: datetime | None = (
            timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        )
        try:
            issued = token_create(
                account=account, scopes=parse_scopes(scopes), name=name, expires_at=expires_at
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        token = issued.token
        if json:
            payload = {
                "id": token.pk,  # what list_tokens, rotate_token and revoke_token show and take
                "auth_id": account.auth_id,
                "token": issued.secret,
                "scopes": token.scopes,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            }
            self.stdout.write(jsonlib.dumps(payload))
        else:
            self.stdout.write(f"bearer token: {issued.secret}  (shown once; store it now)")
            self.stdout.write(f"id:           {token.pk}")
            self.stdout.write(f"scopes:       {', '.join(token.scopes)}")
            if token.expires_at:
                self.stdout.write(f"expires at:   {token.expires_at.isoformat()}")
