import base64
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


def basic(account, token=None) -> dict:
    raw = f"{account.auth_id}:{token or account.raw_auth_token}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


@pytest.fixture
def frozen():
    """The clock stands still at NOW for the whole test."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def plivo(db):
    """plivo(caller, path_account=None, *, uuid=None, **params) -> response.

    The Zentrunk path by default, since factory calls are SIP-trunking calls (the product
    the seed and imports default to); `zentrunk=False` asks the Voice path, /Call/.
    """
    client = Client()

    def get(caller, path_account=None, *, uuid=None, token=None, zentrunk=True, **params):
        auth_id = path_account.auth_id if path_account else caller.auth_id
        url = f"/v1/Account/{auth_id}/{'Zentrunk/' if zentrunk else ''}Call/"
        if uuid:
            url += f"{uuid}/"
        return client.get(url, params, **basic(caller, token))

    return get


def uuids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [obj["call_uuid"] for obj in response.json()["objects"]]


@pytest.fixture
def wsgi_keeps_connection():
    """Calls into the WSGI app (schemathesis) must not close the test's own connection,
    which Django does at the end of each request; the test client detaches that too."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
