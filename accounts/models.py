"""Accounts (Plivo main accounts and subaccounts, CarrierX partners) and their credentials."""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models
from django.utils import timezone as dj_timezone

from accounts import secrets as creds
from accounts.secrets import AUTH_ID_RE

SCOPES = ("calls.read", "calls.manage", "calls.read_descendant", "calls.write")
WRITE_SCOPE = "calls.write"  # live ingestion (docs/ingest.md); grants no reading


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (e.g. Europe/Paris).")


class AccountQuerySet(models.QuerySet):
    def subtree(self, root_id: int, *, active_only: bool = True) -> list[AccountNode]:
        """`root_id` and every account below it, in one query (a recursive CTE).

        Works on PostgreSQL and SQLite alike. Inactive accounts are left out, and so is
        everything below them, unless `active_only` is off (deactivation must reach a
        subaccount left active under an inactive one). The root comes first.
        """
        table = Account._meta.db_table
        root_active = "AND is_active" if active_only else ""
        child_active = "AND a.is_active" if active_only else ""
        sql = (
            "WITH RECURSIVE tree(id, auth_id, parent_id, timezone, partner_sid, depth) AS ("
            f"SELECT id, auth_id, parent_id, timezone, partner_sid, 0 FROM {table} "
            f"WHERE id = %s {root_active} "
            "UNION ALL SELECT a.id, a.auth_id, a.parent_id, a.timezone, a.partner_sid, "
            f"t.depth + 1 FROM {table} a "
            f"JOIN tree t ON a.parent_id = t.id WHERE t.depth < 32 {child_active}) "
            "SELECT id, auth_id, parent_id, timezone, partner_sid FROM tree ORDER BY depth, id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [root_id])
            return [
                AccountNode(id, auth_id, parent_id, zone, str(uuid.UUID(str(sid))))
                for id, auth_id, parent_id, zone, sid in cursor.fetchall()
            ]

    def subtree_ids(self, root_id: int, *, active_only: bool = True) -> list[int]:
        return [node.id for node in self.subtree(root_id, active_only=active_only)]


@dataclass(frozen=True)
class AccountNode:
    """What request handling needs of an account in a caller's tree."""

    id: int
    auth_id: str
    parent_id: int | None
    timezone: str
    partner_sid: str


def nodes_below(nodes: list[AccountNode], root_id: int) -> list[AccountNode]:
    """The part of an already-fetched tree that hangs from `root_id` (root included)."""
    keep = {root_id}
    for node in nodes:  # ordered by depth, so parents come before children
        if node.parent_id in keep:
            keep.add(node.id)
    return [node for node in nodes if node.id in keep]


class Account(models.Model):
    """A main account (`MA…`) or a subaccount (`SA…`) with exactly one parent.

    The same row is the CarrierX partner: `partner_sid` is its id on that face.
    """

    auth_id = models.CharField(
        max_length=20, unique=True, editable=False, validators=[RegexValidator(AUTH_ID_RE)]
    )
    partner_sid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="subaccounts"
    )
    is_active = models.BooleanField(default=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    auth_token_digest = models.CharField(max_length=64, editable=False)
    auth_token_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["auth_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.auth_id})"

    def save(self, *args, **kwargs) -> None:
        if not self.auth_id:
            self.auth_id = creds.new_auth_id("SA" if self.parent_id else "MA")
        super().save(*args, **kwargs)

    # DRF treats whatever authentication returns as `request.user`.
    is_authenticated = True

    @property
    def is_main(self) -> bool:
        return self.parent_id is None

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": "An account cannot be its own parent."})

    def set_auth_token(self) -> str:
        """Issue a new auth token (replacing the old one); return it. Shown once."""
        token = creds.new_auth_token()
        self.auth_token_digest = creds.digest(token)
        self.auth_token_rotated_at = dj_timezone.now()
        return token

    def check_auth_token(self, token: str) -> bool:
        return bool(self.auth_token_digest) and creds.matches(token, self.auth_token_digest)


class BearerTokenQuerySet(models.QuerySet):
    def usable(self, now: datetime | None = None) -> BearerTokenQuerySet:
        now = now or dj_timezone.now()
        return self.filter(revoked_at__isnull=True, account__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class BearerToken(models.Model):
    """A CarrierX-style bearer token: one account, a set of scopes, an optional expiry."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=200, blank=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    objects = BearerTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name or 'token'} for {self.account.auth_id} ({', '.join(self.scopes)})"

    def clean(self) -> None:
        unknown = sorted(set(self.scopes) - set(SCOPES))
        if unknown:
            raise ValidationError({"scopes": f"Unknown scopes: {', '.join(unknown)}."})

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
