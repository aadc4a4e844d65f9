"""Writes on accounts and credentials; commands and the admin call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import secrets as creds
from accounts.models import SCOPES, Account, BearerToken


@dataclass(frozen=True)
class IssuedAccount:
    account: Account
    auth_token: str


@dataclass(frozen=True)
class IssuedToken:
    token: BearerToken
    secret: str


def account_create(
    *, name: str, parent: Account | None = None, timezone_name: str = "UTC"
) -> IssuedAccount:
    """Create a main account (no parent) or a subaccount; return it with its auth token."""
    ensure_parent_active(parent)
    account = Account(name=name, parent=parent, timezone=timezone_name)
    token = account.set_auth_token()
    account.full_clean(exclude=["auth_id", "auth_token_digest"])
    account.save()
    return IssuedAccount(account=account, auth_token=token)


def account_rotate_auth_token(*, account: Account) -> str:
    """Replace the account's auth token; the old one stops working at once."""
    token = account.set_auth_token()
    account.save(update_fields=["auth_token_digest", "auth_token_rotated_at"])
    return token


def ensure_parent_active(parent: Account | None) -> None:
    """Refuse an active account under a deactivated one.

    Authentication looks at the account's own flag only, so "deactivated with everything
    below it" holds only if nothing below an inactive account is ever (re)activated.
    """
    if parent is not None and not parent.is_active:
        raise ValidationError(f"Parent account {parent.auth_id} is deactivated.")


def account_deactivate(*, account: Account) -> None:
    """Deactivate an account and its whole subtree: their credentials stop working.

    Every path (admin action, admin form) comes here. The walk goes through accounts that
    are already inactive, so an active account left below one is caught too.
    """
    ids = Account.objects.subtree_ids(account.pk, active_only=False)
    Account.objects.filter(pk__in=ids).update(is_active=False)
    account.is_active = False


def account_reactivate(*, account: Account) -> None:
    """Reactivate this account alone; its credentials work again, its subaccounts stay off.

    Deactivation does not record which subaccounts were already off, so a cascade would
    revive ones deactivated on purpose: each is reactivated by hand, parents first.
    Bearer tokens were suspended, not revoked: unrevoked, unexpired ones work again.
    """
    parent = Account.objects.filter(pk=account.parent_id).first() if account.parent_id else None
    ensure_parent_active(parent)
    Account.objects.filter(pk=account.pk).update(is_active=True)
    account.is_active = True


def parse_scopes(raw: str | list[str]) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else raw
    scopes = sorted({s.strip() for s in items if s.strip()})
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValidationError(
            f"Unknown scope(s) {', '.join(unknown)}; valid scopes are {', '.join(SCOPES)}."
        )
    if not scopes:
        raise ValidationError(f"Give at least one scope of {', '.join(SCOPES)}.")
    return scopes


def token_create(
    *,
    account: Account,
    scopes: list[str],
    name: str = "",
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Mint a bearer token; the secret is returned once and only its digest is stored."""
    secret = creds.new_bearer_token()
    token = BearerToken.objects.create(
        account=account,
        name=name,
        digest=creds.digest(secret),
        scopes=parse_scopes(scopes),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, token: BearerToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


@transaction.atomic
def token_rotate(*, token: BearerToken) -> IssuedToken:
    """Revoke a token and mint its replacement with the same scopes, name and expiry."""
    token_revoke(token=token)
    return token_create(
        account=token.account, scopes=token.scopes, name=token.name, expires_at=token.expires_at
    )


# Compared against when the auth id names no account, so that a miss costs what a hit does.
_DUMMY_DIGEST = creds.digest("no-such-account")


def account_authenticate(*, auth_id: str, auth_token: str) -> Account | None:
    """The active account these HTTP Basic credentials belong to, or None.

    Only an auth id of the one possible form is looked up, so nothing a client can put in
    a header (a NUL, any byte) reaches the database; unknown or malformed, it still costs
    a digest comparison like a wrong token.
    """
    account = None
    if creds.is_auth_id(auth_id):
        account = Account.objects.filter(auth_id=auth_id, is_active=True).first()
    if account is None:
        creds.matches(auth_token, _DUMMY_DIGEST)
        return None
    return account if account.check_auth_token(auth_token) else None


def token_lookup(secret: str) -> BearerToken | None:
    """The usable token whose digest matches `secret`, or None.

    Only a secret of the form every token has is looked up. The lookup is by the SHA-256
    digest, on its unique index: its time depends on the digest, which reveals nothing
    about the secret; equal digests imply equal secrets, and the secret itself is never
    compared or stored.
    """
    if not creds.is_bearer_token(secret):
        return None
    return (
        BearerToken.objects.usable().select_related("account").filter(digest=creds.digest(secret))
    ).first()
