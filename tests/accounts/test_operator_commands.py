"""Operating without the admin: listing accounts and tokens, rotating, revoking and
deactivating from the command line, each change seen by the API (the test settings check
every credential on every request, CREDENTIAL_CACHE_SECONDS=0; with the shipped lifetime,
a change reaches a worker that remembers the credential within what the command says)."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from tests.api.conftest import basic
from tests.factories import AccountFactory, BearerTokenFactory

pytestmark = pytest.mark.django_db
PLIVO = "/v1/Account/{}/Call/"
CARRIERX = "/core/v2/calls/call_drs"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_json(*args):
    return json.loads(run(*args, "--json"))


def reads(secret: str) -> int:
    return Client().get(CARRIERX, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def test_list_accounts_shows_each_tree_in_order_without_secrets(main_account, subaccount):
    other = AccountFactory(name="Other")
    listed = run_json("list_accounts")
    by_id = {a["auth_id"]: a for a in listed}
    assert [a["auth_id"] for a in listed].index(subaccount.auth_id) == (
        [a["auth_id"] for a in listed].index(main_account.auth_id) + 1
    )  # a subaccount right after its parent
    assert by_id[subaccount.auth_id]["parent"] == main_account.auth_id
    assert by_id[main_account.auth_id]["active"] is True and other.auth_id in by_id
    text = run("list_accounts")
    assert f"\n  {subaccount.auth_id}  active" in text and text.endswith("3 account(s)\n")
    assert main_account.raw_auth_token not in text + json.dumps(listed)


def test_list_tokens_gives_ids_and_states_never_secrets(main_account, subaccount):
    usable = BearerTokenFactory(account=main_account, scopes=["calls.read"], name="reports")
    revoked = BearerTokenFactory(account=main_account, revoked_at=timezone.now())
    expired = BearerTokenFactory(account=main_account, expires_at=timezone.now() - timedelta(1))
    below = BearerTokenFactory(account=subaccount, scopes=["calls.write"])
    listed = run_json("list_tokens", main_account.auth_id)
    assert {t["id"]: t["state"] for t in listed} == {
        usable.pk: "usable", revoked.pk: "revoked", expired.pk: "expired",
    }  # fmt: skip
    assert listed[0]["name"] == "reports" and listed[0]["scopes"] == ["calls.read"]
    everything = run("list_tokens")
    assert everything.endswith("4 token(s)\n") and f"{below.pk}  {subaccount.auth_id}" in everything
    for token in (usable, revoked, expired, below):
        assert token.raw_secret not in everything + json.dumps(listed)
    with pytest.raises(CommandError, match="No account with auth id"):
        run("list_tokens", "MA" + "0" * 18)


def test_rotate_auth_token_retires_the_old_one(main_account):
    old = main_account.raw_auth_token
    new = run_json("rotate_auth_token", main_account.auth_id)["auth_token"]
    path = PLIVO.format(main_account.auth_id)
    assert Client().get(path, **basic(main_account, old)).status_code == 401
    assert Client().get(path, **basic(main_account, new)).status_code == 200
    assert "takes effect at once" in run("rotate_auth_token", main_account.auth_id)


@pytest.mark.parametrize("by", ["id", "secret"])
def test_rotate_token_replaces_it_with_the_same_scopes(main_account, by):
    old = BearerTokenFactory(account=main_account, scopes=["calls.read", "calls.write"], name="sw1")
    rotated = run_json("rotate_token", str(old.pk) if by == "id" else old.raw_secret)
    assert rotated["replaces"] == old.pk and rotated["id"] != old.pk
    assert rotated["scopes"] == ["calls.read", "calls.write"] and rotated["name"] == "sw1"
    assert reads(old.raw_secret) == 401 and reads(rotated["token"]) == 200
    with pytest.raises(CommandError, match="is revoked"):  # never brings a retired one back
        run("rotate_token", str(old.pk))


def test_revoke_token_stops_it_and_is_idempotent(main_account):
    token = BearerTokenFactory(account=main_account, scopes=["calls.read"])
    assert reads(token.raw_secret) == 200
    revoked = run_json("revoke_token", str(token.pk))
    assert revoked["state"] == "revoked" and revoked["already_revoked"] is False
    assert reads(token.raw_secret) == 401
    assert run_json("revoke_token", token.raw_secret)["already_revoked"] is True
    assert "already revoked" in run("revoke_token", str(token.pk))
    for ref, message in (("999999", "No such token"), ("nope", "by its id")):
        with pytest.raises(CommandError, match=message):
            run("revoke_token", ref)


def test_deactivate_account_takes_the_tree_and_reactivate_one_account(main_account, subaccount):
    token = BearerTokenFactory(account=subaccount, scopes=["calls.read"])
    done = run_json("deactivate_account", main_account.auth_id)
    assert done == {"auth_id": main_account.auth_id, "active": False, "below": [subaccount.auth_id]}
    path = PLIVO.format(main_account.auth_id)
    assert Client().get(path, **basic(main_account)).status_code == 401
    assert reads(token.raw_secret) == 401
    with pytest.raises(CommandError, match="is deactivated"):  # parent first
        run("reactivate_account", subaccount.auth_id)
    assert run_json("reactivate_account", main_account.auth_id)["active"] is True
    assert Client().get(path, **basic(main_account)).status_code == 200
    assert reads(token.raw_secret) == 401  # the subaccount stays off until reactivated
    run("reactivate_account", subaccount.auth_id)
    assert reads(token.raw_secret) == 200


def test_create_token_gives_the_id_the_other_commands_take(main_account):
    made = run_json("create_token", main_account.auth_id, "--scopes", "calls.write")
    (listed,) = run_json("list_tokens", main_account.auth_id)
    assert listed["id"] == made["id"] and listed["scopes"] == ["calls.write"]


# What a token's read (Bearer) and the auth token's (Basic) answer once each change applies.
AFTER = {"revoke_token": [401, 200], "rotate_auth_token": [200, 401],
         "deactivate_account": [401, 401]}  # fmt: skip


@pytest.mark.parametrize("command", sorted(AFTER))
def test_a_change_reaches_a_worker_that_remembers_the_credential_when_the_command_says(
    main_account, shipped_credential_cache, command
):
    seconds, clock = shipped_credential_cache
    token = BearerTokenFactory(account=main_account, scopes=["calls.read"])
    path = PLIVO.format(main_account.auth_id)

    def answers() -> list[int]:
        return [reads(token.raw_secret), Client().get(path, **basic(main_account)).status_code]

    assert answers() == [200, 200]  # checked now: remembered by this worker
    said = run(command, str(token.pk) if command == "revoke_token" else main_account.auth_id)
    assert f"within {seconds} s (CREDENTIAL_CACHE_SECONDS)" in said
    clock.shift(seconds - 0.001)
    assert answers() == [200, 200]  # within the bound the command announced
    clock.shift(0.001)
    assert answers() == AFTER[command]  # and not a moment longer
