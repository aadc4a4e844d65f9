"""What the account commands share: finding an account or a token from the command
line, describing them, and the sentence on when a change reaches every worker."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from accounts import secrets as creds
from accounts.models import Account, BearerToken


def find_account(auth_id: str) -> Account:
    account = Account.objects.select_related("parent").filter(auth_id=auth_id).first()
    if account is None:
        raise CommandError(f"No account with auth id {auth_id}.")
    return account


def find_token(ref: str) -> BearerToken:
    """A token by its id (as list_tokens shows it) or by its secret (as a switch holds it;
    looked up by digest, whatever the token's state)."""
    found = BearerToken.objects.select_related("account")
    if ref.isascii() and ref.isdigit():
        token = found.filter(pk=int(ref)).first()
    elif creds.is_bearer_token(ref):
        token = found.filter(digest=creds.digest(ref)).first()
    else:
        raise CommandError("Give a token by its id (list_tokens shows it) or by its secret.")
    if token is None:
        raise CommandError("No such token.")
    return token


def token_state(token: BearerToken) -> str:
    """usable, revoked, expired, or suspended (its account is deactivated)."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    if not token.account.is_active:
        return "suspended"
    return "usable"


def describe_token(token: BearerToken) -> dict[str, Any]:
    """A token as the commands print it: never its secret (only its digest is stored)."""
    return {
        "id": token.pk,
        "auth_id": token.account.auth_id,
        "name": token.name,
        "scopes": token.scopes,
        "state": token_state(token),
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "revoked_at": _iso(token.revoked_at),
    }


def describe_account(account: Account) -> dict[str, Any]:
    return {
        "auth_id": account.auth_id,
        "name": account.name,
        "parent": account.parent.auth_id if account.parent_id else None,
        "active": account.is_active,
        "partner_sid": str(account.partner_sid),
        "timezone": account.timezone,
        "created_at": _iso(account.created_at),
        "auth_token_rotated_at": _iso(account.auth_token_rotated_at),
    }


def when_it_applies() -> str:
    """Workers remember a checked credential for CREDENTIAL_CACHE_SECONDS."""
    seconds = settings.CREDENTIAL_CACHE_SECONDS
    if seconds <= 0:
        return "It takes effect at once (CREDENTIAL_CACHE_SECONDS=0)."
    return (
        f"It takes effect on every worker within {seconds} s (CREDENTIAL_CACHE_SECONDS): "
        "a worker trusts a credential it checked that long."
    )


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
