"""Bearer tokens with scopes (docs/carrierx.md, "Auth and scopes")."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from accounts.services import token_lookup
from calls.access.authentication import LockoutAuthentication

READ_SCOPES = {"calls.read", "calls.manage"}
DESCENDANTS = "calls.read_descendant"


class BearerAuthentication(LockoutAuthentication):
    missing = "Send a token: Authorization: Bearer <token>."

    def verify(self, header: str) -> tuple:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise exceptions.AuthenticationFailed(
                "Use the Authorization header as: Bearer <token>."
            )
        token = token_lookup(secret.strip())
        if token is None:
            raise exceptions.AuthenticationFailed("The token is unknown, expired or revoked.")
        return token.account, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="cdrapi"'


class CanReadCalls(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.auth is None:
            raise exceptions.NotAuthenticated("Send a token: Authorization: Bearer <token>.")
        if not READ_SCOPES & set(request.auth.scopes):
            raise exceptions.PermissionDenied(
                "The token needs the calls.read or calls.manage scope."
            )
        return True
