"""HTTP Basic authentication with an account's auth id and auth token."""

from __future__ import annotations

from rest_framework import exceptions

from accounts import secrets as creds
from accounts.services import account_authenticate, token_lookup
from calls.access.authentication import LockoutAuthentication
from calls.access.credentials import decode_basic

FAILED = "Authentication failed: check your auth id and auth token."


class AccountBasicAuthentication(LockoutAuthentication):
    missing = "Authentication required: send your auth id and auth token with HTTP Basic auth."

    def verify(self, header: str) -> tuple:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            raise exceptions.AuthenticationFailed(
                "Use HTTP Basic auth with your auth id as user name and auth token as password."
            )
        pair = decode_basic(encoded)
        if pair is None:
            raise exceptions.AuthenticationFailed(FAILED)
        auth_id, token = pair
        account = account_authenticate(auth_id=auth_id, auth_token=token)
        if account is None:
            _refuse_bearer_token(auth_id, token)
            raise exceptions.AuthenticationFailed(FAILED)
        return account, None

    def authenticate_header(self, request) -> str:
        return 'Basic realm="cdrapi"'


def _refuse_bearer_token(auth_id: str, secret: str) -> None:
    """403 for the account's own bearer token in place of its auth token: a calls.write
    token (what a switch is given) is a real credential that cannot read here."""
    if creds.is_bearer_token(secret):
        token = token_lookup(secret)
        if token is not None and token.account.auth_id == auth_id:
            raise exceptions.PermissionDenied(
                "This is a bearer token; the Plivo API reads with the account's auth token "
                "(a calls.write token cannot read calls)."
            )
