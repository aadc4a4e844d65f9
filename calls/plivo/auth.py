"""HTTP Basic authentication with an account's auth id and auth token."""

from __future__ import annotations

import base64
import binascii

from rest_framework import authentication, exceptions

from accounts import secrets as creds
from accounts.models import Account
from calls.throttling import FailedAuthLimiter

# Compared against when the auth id is unknown, so that a miss costs the same as a hit.
_DUMMY_DIGEST = creds.digest("no-such-account")
FAILED = "Authentication failed: check your auth id and auth token."


class AccountBasicAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            raise exceptions.NotAuthenticated(
                "Authentication required: send your auth id and auth token with HTTP Basic auth."
            )
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            raise exceptions.AuthenticationFailed(
                "Use HTTP Basic auth with your auth id as user name and auth token as password."
            )
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise exceptions.AuthenticationFailed(FAILED) from None
        limiter = FailedAuthLimiter(request)
        limiter.check()
        auth_id, sep, token = decoded.partition(":")
        account = None
        if sep and len(auth_id) <= 20 and len(token) <= 256:
            account = Account.objects.filter(auth_id=auth_id, is_active=True).first()
        if account is None:
            creds.matches(token, _DUMMY_DIGEST)
        elif account.check_auth_token(token):
            return account, None
        limiter.failed()
        raise exceptions.AuthenticationFailed(FAILED)

    def authenticate_header(self, request) -> str:
        return 'Basic realm="cdrapi"'
