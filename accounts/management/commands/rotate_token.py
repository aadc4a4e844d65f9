from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.management.operator import (
    describe_token,
    dumps,
    find_token,
    token_state,
    when_it_applies,
)
from accounts.services import token_rotate


class Command(BaseCommand):
    help = (
        "Replace a bearer token (by its id, from list_tokens, or its secret): the old one is "
        "revoked and a new one with the same account, scopes, name and expiry is printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", metavar="TOKEN", help="the token's id or its secret")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, token: str, json: bool, **opts) -> None:
        old = find_token(token)
        state = token_state(old)
        if state in ("revoked", "expired"):
            raise CommandError(
                f"Token {old.pk} is {state}: rotating it would bring back a retired credential. "
                f"Mint a new one with create_token {old.account.auth_id}."
            )
        issued = token_rotate(token=old)
        if json:
            self.stdout.write(
                dumps({**describe_token(issued.token), "token": issued.secret, "replaces": old.pk})
            )
            return
        self.stdout.write(f"bearer token: {issued.secret}  (shown once; store it now)")
        self.stdout.write(f"id:           {issued.token.pk} (replaces {old.pk}, now revoked)")
        self.stdout.write(f"scopes:       {', '.join(issued.token.scopes)}")
        self.stdout.write(when_it_applies())
