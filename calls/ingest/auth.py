"""Write credentials: a bearer token with the calls.write scope, sent as HTTP Basic (user
= the account's auth id, password = the token: what FreeSWITCH's `cred=user:pass` and
Kamailio's http_client send) or as `Authorization: Bearer` (docs/ingest.md).

Read credentials authenticate here (so that a wrong secret still counts towards the
lockout and a right one is told why it cannot write) but never pass CanWriteCalls. A good
credential is remembered like the read faces' (calls/access/credential_cache.py, one
cache, CREDENTIAL_CACHE_SECONDS): a revoked token stops writing within that time.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from accounts import secrets as creds
from accounts.models import WRITE_SCOPE
from accounts.services import account_authenticate, token_lookup
from calls.access.authentication import LockoutAuthentication
from calls.access.credentials import decode_basic

FAILED = "Authentication failed: check the auth id and the calls.write token."
HOW = (
    "Use HTTP Basic auth with the account's auth id as user name and a calls.write token "
    "as password, or Authorization: Bearer <calls.write token>."
)


class WriteAuthentication(LockoutAuthentication):
    missing = "Authentication required. " + HOW

    def verify(self, header: str) -> tuple:
        scheme, _, value = header.partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer" and value:
            token = token_lookup(value)
            if token is None:
                raise exceptions.AuthenticationFailed("The token is unknown, expired or revoked.")
            return token.account, token
        if scheme != "basic" or not value:
            raise exceptions.AuthenticationFailed(HOW)
        pair = decode_basic(value)
        if pair is None:
            raise exceptions.AuthenticationFailed(FAILED)
        auth_id, secret = pair
        if creds.is_bearer_token(secret):
            token = token_lookup(secret)
            if token is None or token.account.auth_id != auth_id:
                raise exceptions.AuthenticationFailed(FAILED)
            return token.account, token
        account = account_authenticate(auth_id=auth_id, auth_token=secret)
        if account is None:
            raise exceptions.AuthenticationFailed(FAILED)
        return account, None  # an auth token: it reads, CanWriteCalls refuses it

    def authenticate_header(self, request) -> str:
        return 'Basic realm="cdrapi"'


class CanWriteCalls(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.user is None:
            raise exceptions.NotAuthenticated(WriteAuthentication.missing)
        if request.auth is None:
            raise exceptions.PermissionDenied(
                "An auth token reads calls but cannot write them: use a token made with "
                "create_token AUTH_ID --scopes calls.write."
            )
        if WRITE_SCOPE not in request.auth.scopes:
            raise exceptions.PermissionDenied("The token needs the calls.write scope to write.")
        return True
