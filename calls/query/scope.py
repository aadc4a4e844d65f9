"""Which accounts a request may read: resolved once per request, before any filter.

Every list, count and retrieve starts from a Scope (calls/query/core.py is the only
caller of `Call.objects.visible_to`), so no face can forget it and leak an account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from accounts.models import Account, AccountNode, nodes_below
from calls.query import rules
from calls.query.errors import NotFound, QueryError

SUBACCOUNT_ID = re.compile(r"SA[A-Z0-9]{18}", re.ASCII)
ACCOUNT_NOT_FOUND = "No account with that auth id is visible to these credentials."


@dataclass(frozen=True)
class Scope:
    """The readable accounts, the account the request is about (whose time zone and
    partner id the answer is written in), and the tenant: the calling account, whose
    counting budget and remembered counts the request uses (calls/counting/)."""

    nodes: tuple[AccountNode, ...]
    root: AccountNode
    tenant: int

    @property
    def account_ids(self) -> list[int]:
        return [node.id for node in self.nodes]


def for_path_account(caller: Account, auth_id: str, subaccount: str | None = None) -> Scope:
    """Plivo: the account named in the path (the caller or below it) and its subtree,
    optionally narrowed to one `subaccount`. Anything else is the same 404 whether or not
    the account exists (docs/plivo.md, "Who sees what")."""
    tree = subtree_of(caller)
    path = next((node for node in tree if node.auth_id == auth_id), None)
    if path is None:
        raise NotFound(ACCOUNT_NOT_FOUND, "auth_id")
    nodes = nodes_below(tree, path.id)
    if subaccount is None:
        return Scope(tuple(nodes), path, caller.pk)
    if not SUBACCOUNT_ID.fullmatch(subaccount):
        raise QueryError(
            f"Invalid subaccount: expected SA followed by 18 letters or digits, got "
            f"{subaccount[:40]!r}.",
            "subaccount",
        )
    if caller.parent_id is not None:
        raise QueryError(rules.SUBACCOUNT_CALLER.format(), "subaccount")
    node = next((n for n in nodes if n.auth_id == subaccount), None)
    if node is None:
        raise NotFound("No subaccount with that auth id belongs to this account.", "subaccount")
    return Scope(tuple(nodes_below(nodes, node.id)), path, caller.pk)


def for_token(account: Account, *, descendants: bool) -> Scope:
    """CarrierX: the token's account, and every account below it with the
    calls.read_descendant scope (docs/carrierx.md, "Auth and scopes")."""
    node = AccountNode(account.pk, account.auth_id, account.parent_id, account.timezone,
                       str(account.partner_sid))  # fmt: skip
    if descendants:
        return Scope(tuple(subtree_of(account)), node, account.pk)
    return Scope((node,), node, account.pk)


def subtree_of(account: Account) -> list[AccountNode]:
    """The account's tree, read once per authenticated credential: the account object
    comes from the credential cache (calls/access/credential_cache.py) for its lifetime,
    and keeps the tree with it; with the cache off, read on every request."""
    if settings.CREDENTIAL_CACHE_SECONDS <= 0:
        return Account.objects.subtree(account.pk)
    tree = account.__dict__.get("_subtree")
    if tree is None:
        tree = account.__dict__["_subtree"] = Account.objects.subtree(account.pk)
    return tree
