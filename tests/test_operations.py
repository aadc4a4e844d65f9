"""Outages, health checks, throttling, request limits, headers, deploy checks, access logs."""

import base64
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import time_machine
from django.db import connection
from django.test import Client

from accounts.services import account_deactivate, account_reactivate
from calls.ingest import fs_sample
from calls.query import core
from tests.api.conftest import basic
from tests.factories import AccountFactory, CallFactory

PLIVO = "/v1/Account/{}/Call/"
CARRIERX = "/core/v2/calls/call_drs"


def _plivo_get(client, account, **params):
    return client.get(PLIVO.format(account.auth_id), params, **basic(account))


def test_healthz_answers_without_the_database(client):
    assert client.get("/healthz").json()["status"] == "ok"


@pytest.mark.django_db
def test_readyz_checks_the_database(client):
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_unreachable_database_is_a_503_and_the_service_recovers(bearer, caplog):
    account = AccountFactory()
    _, secret = bearer(account)
    client = Client()
    port = connection.settings_dict["PORT"]
    try:
        connection.close()
        connection.settings_dict["PORT"] = "1"  # nothing listens there
        with caplog.at_level(logging.ERROR, logger="cdrapi.outage"):
            responses = [_plivo_get(client, account) for _ in range(3)]
            carrierx = client.get(CARRIERX, HTTP_AUTHORIZATION=f"Bearer {secret}")
            ready = client.get("/readyz")
        for response in responses:
            assert response.status_code == 503
            assert response["Retry-After"] == "5"
            assert set(response.json()) == {"api_id", "error"}
        assert carrierx.status_code == 503 and carrierx.json()["errors"][0]["field"] == "database"
        assert ready.status_code == 503
        outage_lines = [r for r in caplog.records if r.name == "cdrapi.outage"]
        assert len(outage_lines) <= 1  # logged once, not per request
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert _plivo_get(client, account).status_code == 200  # back by itself
    assert client.get("/readyz").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_closed_is_replaced_before_the_request(main_account):
    """A restart or a terminated backend costs no request: the worker's connection is
    found closed and replaced before the request's query (cdrapi.middleware)."""
    CallFactory(account=main_account, product="voice")
    client = Client()
    assert _plivo_get(client, main_account).status_code == 200
    pid, db = connection.connection.info.backend_pid, connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"],
                         dbname=db["NAME"], autocommit=True) as other:  # fmt: skip
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):  # until the backend is gone
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                break
            time.sleep(0.02)
    answer = _plivo_get(client, main_account)
    assert answer.status_code == 200
    assert answer.json()["meta"]["total_count"] == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_cut_by_the_timeout_is_a_503(main_account, monkeypatch):
    CallFactory(account=main_account, product="voice")  # a total: the page is read, sleeps
    original = core._visible

    def slow(scope):
        return original(scope).extra(where=["(SELECT pg_sleep(0.5))::text = ''"])

    monkeypatch.setattr(core, "_visible", slow)
    with connection.cursor() as cur:
        cur.execute("SET statement_timeout = 100")
    response = _plivo_get(Client(), main_account)
    assert response.status_code == 503
    assert "unavailable" in response.json()["error"]


# --- throttling ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_plivo_accounts_are_limited_per_account(settings, main_account, other_account):
    settings.THROTTLE_PLIVO_ACCOUNT = "3/5s"
    client = Client()
    assert [_plivo_get(client, main_account).status_code for _ in range(3)] == [200] * 3
    limited = _plivo_get(client, main_account)
    assert limited.status_code == 429
    assert set(limited.json()) == {"api_id", "error"}
    assert 1 <= int(limited["Retry-After"]) <= 5
    # The wait, said once, as the header gives it.
    said = limited.json()["error"]
    assert said.endswith(f" Retry in {limited['Retry-After']} s.") and "Expected" not in said
    assert _plivo_get(client, other_account).status_code == 200  # another account is not


@pytest.mark.parametrize(
    "path", ["/v1/Account/{}/Call/", "/v1/Account/{}/Zentrunk/Call/", "/core/v2/calls/call_drs"]
)
def test_options_describes_the_endpoint(main_account, bearer, path):
    headers = (basic(main_account) if path.startswith("/v1/")
               else {"HTTP_AUTHORIZATION": f"Bearer {bearer(main_account)[1]}"})  # fmt: skip
    answer = Client().options(path.format(main_account.auth_id), **headers)
    assert answer.status_code == 200
    assert answer.json()["description"].startswith(("Voice calls", "SIP-trunking", "Call detail"))


@pytest.mark.django_db
def test_carrierx_tokens_are_limited_per_token(settings, main_account, bearer):
    settings.THROTTLE_CARRIERX_TOKEN = "2/1m"
    _, first = bearer(main_account)
    _, second = bearer(main_account)
    client = Client()

    def get(secret):
        return client.get(CARRIERX, HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert [get(first).status_code for _ in range(2)] == [200, 200]
    limited = get(first)
    assert limited.status_code == 429 and limited.json()["errors"][0]["field"] == "rate"
    assert int(limited["Retry-After"]) > 0
    assert get(second).status_code == 200


@pytest.mark.django_db
def test_one_address_is_limited_whatever_credentials_it_uses(settings, db):
    settings.THROTTLE_ADDRESS = "4/5s"
    accounts = [AccountFactory() for _ in range(5)]
    client = Client(REMOTE_ADDR="198.51.100.9")
    codes = [_plivo_get(client, account).status_code for account in accounts]
    assert codes == [200, 200, 200, 200, 429]
    assert _plivo_get(Client(REMOTE_ADDR="198.51.100.10"), accounts[0]).status_code == 200


# --- the failed-authentication lockout, with the shipped ceilings (10 a credential, 100 an
# address, a minute each; tests/settings.py keeps both)
def _write(client, authorization: str):
    body, content_type = fs_sample.post_body(fs_sample.cdr())
    return client.post("/ingest/v1/freeswitch", body, content_type=content_type,
                       HTTP_AUTHORIZATION=authorization)  # fmt: skip


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.django_db
def test_a_misconfigured_reader_locks_out_its_credential_not_the_switches_behind_its_address(
    settings, main_account, bearer
):
    assert (settings.THROTTLE_FAILED_AUTH, settings.THROTTLE_FAILED_AUTH_ADDRESS) == (
        "10/1m", "100/1m",
    )  # fmt: skip
    _, write = bearer(main_account, scopes=["calls.write"])
    shared = Client(REMOTE_ADDR="203.0.113.66")  # a reporting script and the switches, one NAT
    wrong = basic(main_account, "x" * 40)  # an auth token rotated under the script
    codes = [shared.get(PLIVO.format(main_account.auth_id), **wrong).status_code
             for _ in range(11)]  # fmt: skip
    assert codes == [401] * 10 + [429]
    # The switches of the same account, posting with their calls.write token, still write:
    # a bearer token is an identity of its own, however it is sent.
    assert _write(shared, _basic(main_account.auth_id, write)).status_code == 201
    assert _write(shared, f"Bearer {write}").status_code == 201
    # The locked identity is the auth id: even its right auth token waits out the window
    # (answering it would tell a guesser which guess was right).
    locked = _plivo_get(shared, main_account)
    assert locked.status_code == 429 and "with this credential" in locked.json()["error"]
    assert 1 <= int(locked["Retry-After"]) <= 60
    assert _plivo_get(Client(REMOTE_ADDR="203.0.113.67"), main_account).status_code == 200


@pytest.mark.django_db
def test_many_bad_credentials_from_one_address_lock_out_the_address(main_account, bearer):
    _, write = bearer(main_account, scopes=["calls.write"])
    guesser = Client(REMOTE_ADDR="203.0.113.68")
    codes = Counter(
        guesser.get(CARRIERX, HTTP_AUTHORIZATION=f"Bearer {uuid.uuid4()}").status_code
        for _ in range(101)
    )
    assert codes == {401: 100, 429: 1}  # each guess a new identity: the address ceiling
    for authorization in (f"Bearer {write}", _basic(main_account.auth_id, write), ""):
        locked = _write(guesser, authorization)
        assert locked.status_code == 429 and "from this address" in locked.json()["error"]
    assert _write(Client(REMOTE_ADDR="203.0.113.69"), f"Bearer {write}").status_code == 201


@pytest.mark.django_db
def test_a_locked_out_credential_waits_out_its_window_even_once_it_is_good(main_account, bearer):
    _, write = bearer(main_account, scopes=["calls.write"])
    switch = Client(REMOTE_ADDR="203.0.113.70")
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        account_deactivate(account=main_account)
        assert [_write(switch, f"Bearer {write}").status_code for _ in range(10)] == [401] * 10
        account_reactivate(account=main_account)
        waiting = _write(switch, f"Bearer {write}")
        assert waiting.status_code == 429 and int(waiting["Retry-After"]) == 60
        clock.shift(timedelta(seconds=61))
        assert _write(switch, f"Bearer {write}").status_code == 201


# --- limits, headers, deploy checks -------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/v1/Account/MA00000000000000000A/Call/", CARRIERX])
def test_oversized_query_strings_and_bodies_are_refused(client, path):
    long = client.get(path + "?filter=" + "a" * 9000)
    assert long.status_code == 414
    big = client.generic("GET", path, data=b"x", CONTENT_LENGTH=str(2 * 1024 * 1024))
    assert big.status_code == 413
    if path.startswith("/v1/"):
        assert set(long.json()) == {"api_id", "error"}
    else:
        assert set(long.json()) == {"message", "errors"}


@pytest.mark.django_db
def test_security_headers_are_sent(main_account):
    response = _plivo_get(Client(), main_account)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        SECRET_KEY="k" * 20 + "a-real-production-secret-key-0123456789!",
        ALLOWED_HOSTS="cdr.example.com",
        DJANGO_SETTINGS_MODULE="cdrapi.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


# --- access log -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_each_request_logs_one_json_line_without_secrets(main_account, bearer, caplog):
    CallFactory(account=main_account)
    _, secret = bearer(main_account)
    with caplog.at_level(logging.INFO, logger="cdrapi.access"):
        body = _plivo_get(Client(), main_account).json()
        Client().get(CARRIERX, HTTP_AUTHORIZATION=f"Bearer {secret}")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cdrapi.access"]
    assert len(lines) == 2
    plivo, carrierx = lines
    assert plivo["method"] == "GET" and plivo["status"] == 200
    assert plivo["path"] == PLIVO.format(main_account.auth_id)
    assert plivo["account"] == main_account.auth_id and plivo["api_id"] == body["api_id"]
    assert plivo["duration_ms"] > 0 and carrierx["face"] == "carrierx"
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert main_account.raw_auth_token not in everything and secret not in everything
    assert "Authorization" not in everything
