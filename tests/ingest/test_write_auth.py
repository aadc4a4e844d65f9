"""Write credentials: what authenticates on the ingestion endpoints, and how soon a
revoked token or a deactivated account stops writing."""

import base64

import pytest
from django.test import Client

from accounts.services import account_deactivate, token_revoke
from calls.ingest import fs_sample
from tests.factories import AccountFactory, BearerTokenFactory

pytestmark = pytest.mark.django_db


def post(authorization: str):
    body, content_type = fs_sample.post_body(fs_sample.cdr())
    client = Client(HTTP_AUTHORIZATION=authorization)
    return client.post("/ingest/v1/freeswitch", body, content_type=content_type)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_token_must_be_the_named_accounts(main_account):
    token = BearerTokenFactory(account=main_account, scopes=["calls.write"])
    other = AccountFactory()
    assert post(basic(main_account.auth_id, token.raw_secret)).status_code == 201
    assert post(basic(other.auth_id, token.raw_secret)).status_code == 401
    assert post(f"Bearer {token.raw_secret}").status_code == 201
    assert post("Digest abc").status_code == 401
    assert post("Basic !!!").status_code == 401


def test_a_token_with_write_and_read_scopes_writes(main_account):
    token = BearerTokenFactory(account=main_account, scopes=["calls.read", "calls.write"])
    assert post(f"Bearer {token.raw_secret}").status_code == 201
    read_only = BearerTokenFactory(account=main_account, scopes=["calls.read"])
    response = post(basic(main_account.auth_id, read_only.raw_secret))
    assert response.status_code == 403 and "calls.write" in response.json()["error"]
    response = post(basic(main_account.auth_id, main_account.raw_auth_token))
    assert response.status_code == 403 and "auth token" in response.json()["error"]


@pytest.mark.parametrize("how", ["revoke", "deactivate"])
def test_a_revoked_token_or_deactivated_account_stops_writing_within_the_one_cache_lifetime(
    main_account, shipped_credential_cache, how
):
    seconds, clock = shipped_credential_cache
    token = BearerTokenFactory(account=main_account, scopes=["calls.write"])
    as_basic, as_bearer = (
        basic(main_account.auth_id, token.raw_secret),
        f"Bearer {token.raw_secret}",
    )
    assert post(as_basic).status_code == 201  # checked now, remembered for the lifetime
    if how == "revoke":
        token_revoke(token=token)
    else:
        account_deactivate(account=main_account)
    clock.shift(1)
    # A header this worker has not checked is checked now: no second cache below.
    assert post(as_bearer).status_code == 401
    clock.shift(seconds - 1.001)
    assert post(as_basic).status_code == 201  # still remembered: within the bound
    clock.shift(0.001)
    assert post(as_basic).status_code == 401  # CREDENTIAL_CACHE_SECONDS after the check
