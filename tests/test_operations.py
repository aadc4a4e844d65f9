"""Outages, health checks, throttling, request limits, headers, deploy checks, access logs."""

import json
import logging
import os
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client

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
    assert _plivo_get(client, other_account).status_code == 200  # another account is not


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


@pytest.mark.django_db
def test_failed_authentications_lock_out_the_address(settings, main_account, bearer):
    settings.THROTTLE_FAILED_AUTH = "3/1m"
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(3):
        response = guesser.get(PLIVO.format(main_account.auth_id), **basic(main_account, "x" * 40))
        assert response.status_code == 401
    locked = _plivo_get(guesser, main_account)  # even the right token, from that address
    assert locked.status_code == 429 and "failed authentications" in locked.json()["error"]
    assert guesser.get(CARRIERX, HTTP_AUTHORIZATION="Bearer guess").status_code == 429
    assert _plivo_get(Client(REMOTE_ADDR="203.0.113.67"), main_account).status_code == 200


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
