from django.core.management.base import BaseCommand, CommandParser

from accounts.management.operator import describe_token, dumps, find_token, when_it_applies
from accounts.services import token_revoke


class Command(BaseCommand):
    help = (
        "Revoke a bearer token (by its id, from list_tokens, or its secret) for good. "
        "Revoking a revoked token changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", metavar="TOKEN", help="the token's id or its secret")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, token: str, json: bool, **opts) -> None:
        found = find_token(token)
        already = found.revoked_at is not None
        token_revoke(token=found)
        if json:
            self.stdout.write(dumps({**describe_token(found), "already_revoked": already}))
            return
        if already:
            self.stdout.write(f"Token {found.pk} was already revoked at {found.revoked_at:%c}.")
            return
        self.stdout.write(
            f"Revoked token {found.pk} of {found.account.auth_id}. {when_it_applies()}"
        )
