"""The account and token admin for staff who are not superusers, and the account form."""

import base64
import re

import pytest

from accounts.models import Account, BearerToken
from accounts.services import account_deactivate, token_lookup
from tests.admin_users import staff_client
from tests.factories import AccountFactory, SubaccountFactory

pytestmark = pytest.mark.django_db

VIEW = ("accounts.view_account", "accounts.view_bearertoken")
CHANGE = (*VIEW, "accounts.change_account", "accounts.change_bearertoken")
ACTIONS = [
    ("account", "rotate_auth_token"),
    ("account", "deactivate"),
    ("bearertoken", "revoke"),
    ("bearertoken", "rotate"),
]
SECRET_SHOWN = re.compile(r"<code>[\w-]{36,40}</code>")


def _credentials_state() -> tuple:
    """Everything an action could change: accounts, their auth tokens, bearer tokens."""
    return (
        sorted(Account.objects.values_list("pk", "is_active", "auth_token_digest")),
        sorted(BearerToken.objects.values_list("pk", "digest", "revoked_at")),
    )


@pytest.fixture
def tree(bearer):
    """A main account with a subaccount, each holding a working bearer token."""
    main = AccountFactory(name="Main")
    sub = SubaccountFactory(parent=main, name="Sub")
    return {
        "main": main,
        "sub": sub,
        "main_token": bearer(main),
        "sub_token": bearer(sub),
    }


def _selected(model: str, tree) -> list[int]:
    return [tree["main"].pk] if model == "account" else [tree["main_token"][0].pk]


def _offered_actions(client, model: str) -> set[str]:
    body = client.get(f"/admin/accounts/{model}/").content.decode()
    return set(re.findall(r'<option value="(\w+)"', body)) - {""}


@pytest.mark.parametrize(("model", "action"), ACTIONS)
def test_view_only_staff_are_not_offered_an_action_and_a_forced_post_changes_nothing(
    tree, model, action
):
    client = staff_client(*VIEW)
    assert client.get(f"/admin/accounts/{model}/").status_code == 200
    assert action not in _offered_actions(client, model)
    before = _credentials_state()
    response = client.post(
        f"/admin/accounts/{model}/",
        {"action": action, "_selected_action": _selected(model, tree), "index": "0"},
        follow=True,
    )
    assert response.status_code in (200, 403)
    assert not SECRET_SHOWN.search(response.content.decode())
    assert _credentials_state() == before


@pytest.mark.parametrize(("model", "action"), ACTIONS)
def test_staff_with_change_permission_are_offered_the_action_and_it_runs(tree, model, action):
    client = staff_client(*CHANGE)
    assert action in _offered_actions(client, model)
    before = _credentials_state()
    client.post(
        f"/admin/accounts/{model}/",
        {"action": action, "_selected_action": _selected(model, tree), "index": "0"},
    )
    assert _credentials_state() != before


def test_view_only_staff_see_an_account_but_cannot_save_it(tree):
    client = staff_client(*VIEW)
    url = f"/admin/accounts/account/{tree['main'].pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    before = _credentials_state()
    assert client.post(url, _form(tree["main"], is_active=False)).status_code == 403
    assert _credentials_state() == before


def _form(account: Account, *, is_active: bool) -> dict:
    data = {
        "name": account.name,
        "timezone": account.timezone,
        "tokens-TOTAL_FORMS": "0",
        "tokens-INITIAL_FORMS": "0",
        "subaccounts-TOTAL_FORMS": "0",
        "subaccounts-INITIAL_FORMS": "0",
    }
    if is_active:
        data["is_active"] = "on"
    return data


def _save(client, account: Account, *, is_active: bool):
    return client.post(
        f"/admin/accounts/account/{account.pk}/change/", _form(account, is_active=is_active)
    )


def _plivo_status(client, account: Account) -> int:
    basic = base64.b64encode(f"{account.auth_id}:{account.raw_auth_token}".encode()).decode()
    return client.get(
        f"/v1/Account/{account.auth_id}/Call/", HTTP_AUTHORIZATION=f"Basic {basic}"
    ).status_code


def _tree_state(main: Account) -> list[tuple[str, bool]]:
    """Active flags of `main` and every account below it, by name (trees compare alike)."""
    rows, frontier = [], [main.pk]
    while frontier:
        level = list(Account.objects.filter(pk__in=frontier).values_list("pk", "name"))
        rows += [(name, Account.objects.get(pk=pk).is_active) for pk, name in level]
        frontier = list(Account.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
    return sorted(rows)


def test_unticking_is_active_on_the_form_deactivates_the_subtree_and_its_credentials(tree):
    client = staff_client(*CHANGE)
    assert _plivo_status(client, tree["sub"]) == 200
    response = _save(client, tree["main"], is_active=False)
    assert response.status_code == 302
    assert not Account.objects.filter(is_active=True, pk__in=[tree["main"].pk, tree["sub"].pk])
    for _, secret in (tree["main_token"], tree["sub_token"]):
        assert token_lookup(secret) is None
    assert _plivo_status(client, tree["sub"]) == 401
    assert _plivo_status(client, tree["main"]) == 401


def test_the_form_and_the_action_deactivate_exactly_the_same_accounts():
    def make() -> Account:
        main = AccountFactory(name="Main")
        sub = SubaccountFactory(parent=main, name="Sub")
        SubaccountFactory(parent=sub, name="Deep")
        SubaccountFactory(parent=main, name="Sub 2")
        return main

    by_form, by_action = make(), make()
    client = staff_client(*CHANGE)
    _save(client, by_form, is_active=False)
    client.post(
        "/admin/accounts/account/",
        {"action": "deactivate", "_selected_action": [by_action.pk], "index": "0"},
    )
    assert _tree_state(by_form) == _tree_state(by_action)
    assert not any(active for _, active in _tree_state(by_form))


def test_deactivating_reaches_below_an_already_deactivated_subaccount():
    main = AccountFactory(name="Main")
    sub = SubaccountFactory(parent=main, name="Sub")
    deep = SubaccountFactory(parent=sub, name="Deep")
    Account.objects.filter(pk=sub.pk).update(is_active=False)  # as the old form left it
    account_deactivate(account=main)
    assert not Account.objects.get(pk=deep.pk).is_active


def test_reactivating_restores_the_account_alone(tree):
    client = staff_client(*CHANGE)
    _save(client, tree["main"], is_active=False)
    assert _save(client, tree["main"], is_active=True).status_code == 302
    assert Account.objects.get(pk=tree["main"].pk).is_active
    assert not Account.objects.get(pk=tree["sub"].pk).is_active  # reactivated one by one
    assert _plivo_status(client, tree["main"]) == 200
    assert token_lookup(tree["main_token"][1]) is not None  # suspended, not revoked
    assert token_lookup(tree["sub_token"][1]) is None
    assert _save(client, tree["sub"], is_active=True).status_code == 302
    assert _plivo_status(client, tree["sub"]) == 200


def test_a_subaccount_cannot_be_reactivated_under_a_deactivated_parent(tree):
    client = staff_client(*CHANGE)
    _save(client, tree["main"], is_active=False)
    before = _credentials_state()
    response = _save(client, tree["sub"], is_active=True)
    assert response.status_code == 200
    body = response.content.decode().lower()
    assert f"parent account {tree['main'].auth_id.lower()} is deactivated" in body
    assert _credentials_state() == before
    assert _plivo_status(client, tree["sub"]) == 401


def test_a_subaccount_cannot_be_created_active_under_a_deactivated_parent(tree):
    client = staff_client(*CHANGE, "accounts.add_account")
    account_deactivate(account=tree["main"])
    count = Account.objects.count()
    response = client.post(
        "/admin/accounts/account/add/",
        {**_form(tree["main"], is_active=True), "name": "Late", "parent": tree["main"].pk},
    )
    assert response.status_code == 200
    assert "is deactivated" in response.content.decode()
    assert Account.objects.count() == count
