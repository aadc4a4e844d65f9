import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Account, BearerToken
from accounts.services import (
    account_create,
    account_deactivate,
    account_rotate_auth_token,
    token_create,
    token_lookup,
    token_revoke,
    token_rotate,
)

pytestmark = pytest.mark.django_db


def _all_text_in_credential_tables() -> str:
    """Every value stored in the account and token tables, as one string."""
    dump = []
    with connection.cursor() as cur:
        for table in (Account._meta.db_table, BearerToken._meta.db_table):
            cur.execute(f"SELECT * FROM {table}")
            dump.extend(str(value) for row in cur.fetchall() for value in row)
    return " ".join(dump)


def test_main_and_subaccount_auth_ids_have_the_sdk_form():
    main = account_create(name="Acme").account
    sub = account_create(name="Acme EU", parent=main).account
    assert re.fullmatch(r"MA[A-Z0-9]{18}", main.auth_id)
    assert re.fullmatch(r"SA[A-Z0-9]{18}", sub.auth_id)
    assert sub.parent == main


def test_auth_token_is_stored_only_as_a_hash():
    issued = account_create(name="Acme")
    assert len(issued.auth_token) == 40
    assert issued.auth_token not in _all_text_in_credential_tables()
    assert issued.account.check_auth_token(issued.auth_token)


def test_a_wrong_auth_token_is_refused():
    issued = account_create(name="Acme")
    account = Account.objects.get(pk=issued.account.pk)
    token = issued.auth_token
    assert not account.check_auth_token(token[:-1] + ("y" if token[-1] == "x" else "x"))
    assert not account.check_auth_token("")


def test_rotating_the_auth_token_retires_the_old_one():
    issued = account_create(name="Acme")
    new = account_rotate_auth_token(account=issued.account)
    account = Account.objects.get(pk=issued.account.pk)
    assert account.check_auth_token(new)
    assert not account.check_auth_token(issued.auth_token)


def test_bearer_token_is_stored_only_as_a_hash_and_found_by_its_secret(main_account):
    issued = token_create(account=main_account, scopes=["calls.read"])
    assert issued.secret not in _all_text_in_credential_tables()
    assert token_lookup(issued.secret) == issued.token


def test_a_wrong_bearer_token_is_refused(main_account):
    issued = token_create(account=main_account, scopes=["calls.read"])
    assert token_lookup(issued.secret.replace(issued.secret[0], "0", 1) + "0") is None
    assert token_lookup("") is None


def test_revoked_and_expired_tokens_are_refused(main_account):
    revoked = token_create(account=main_account, scopes=["calls.read"])
    token_revoke(token=revoked.token)
    expired = token_create(
        account=main_account,
        scopes=["calls.read"],
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert token_lookup(revoked.secret) is None
    assert token_lookup(expired.secret) is None


def test_rotating_a_bearer_token_keeps_its_scopes_and_retires_the_old_secret(main_account):
    old = token_create(account=main_account, scopes=["calls.read", "calls.read_descendant"])
    new = token_rotate(token=old.token)
    assert token_lookup(old.secret) is None
    assert token_lookup(new.secret).scopes == ["calls.read", "calls.read_descendant"]


def test_tokens_of_a_deactivated_account_are_refused(main_account, subaccount):
    issued = token_create(account=subaccount, scopes=["calls.read"])
    account_deactivate(account=main_account)
    assert token_lookup(issued.secret) is None
    assert not Account.objects.get(pk=subaccount.pk).is_active


def test_unknown_scopes_are_rejected(main_account):
    with pytest.raises(ValidationError, match=r"calls\.delete"):
        token_create(account=main_account, scopes=["calls.read", "calls.delete"])


def test_bad_time_zone_is_rejected():
    with pytest.raises(ValidationError, match="IANA"):
        account_create(name="Acme", timezone_name="Mars/Olympus")


def test_subtree_ids_reach_subaccounts_of_subaccounts(main_account, subaccount, other_account):
    grandchild = account_create(name="Deep", parent=subaccount).account
    assert sorted(Account.objects.subtree_ids(main_account.pk)) == sorted(
        [main_account.pk, subaccount.pk, grandchild.pk]
    )
    assert Account.objects.subtree_ids(subaccount.pk) == [subaccount.pk, grandchild.pk]


def test_subtree_leaves_out_deactivated_branches(main_account, subaccount):
    account_deactivate(account=subaccount)
    assert Account.objects.subtree_ids(main_account.pk) == [main_account.pk]


def test_create_account_command_prints_working_credentials(capsys):
    call_command("create_account", "Acme", "--timezone", "Europe/Paris", "--json")
    out = json.loads(capsys.readouterr().out)
    account = Account.objects.get(auth_id=out["auth_id"])
    assert account.check_auth_token(out["auth_token"])
    assert account.timezone == "Europe/Paris"

    call_command("create_account", "Acme EU", "--parent", out["auth_id"], "--json")
    sub = json.loads(capsys.readouterr().out)
    assert sub["auth_id"].startswith("SA") and sub["parent"] == out["auth_id"]


def test_create_token_command_prints_a_token_that_authenticates(main_account, capsys):
    call_command(
        "create_token",
        main_account.auth_id,
        "--scopes",
        "calls.read,calls.read_descendant",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    token = token_lookup(out["token"])
    assert token.account == main_account
    assert token.scopes == ["calls.read", "calls.read_descendant"]


def test_commands_refuse_unknown_accounts_and_scopes(main_account):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No account"):
        call_command("create_token", "MA" + "0" * 18)
    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("create_token", main_account.auth_id, "--scopes", "calls.delete")
    with pytest.raises(CommandError, match="No account"):
        call_command("create_account", "X", "--parent", "MA" + "0" * 18)
