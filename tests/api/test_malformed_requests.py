"""Malformed credentials, bytes and patterns: a 4xx in the face's shape, never a 500, and
a malformed credential is a failed authentication like a wrong one (the lockout counts it).
"""

import base64

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.services import token_lookup
from tests.api.conftest import basic
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db

CARRIERX = "/core/v2/calls/call_drs"


def _plivo_list(account) -> str:
    return f"/v1/Account/{account.auth_id}/Call/"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _plivo_shape(response) -> None:
    assert set(response.json()) == {"api_id", "error"}, response.content[:200]


def _carrierx_shape(response) -> None:
    body = response.json()
    assert set(body) == {"message", "errors"} and body["errors"][0]["field"], body


# --- credentials ----------------------------------------------------------------------------
# Each builds an Authorization header from (account, its auth token, a bearer secret).
# Headers reach the app as ISO-8859-1 text (PEP 3333), so "\xff" is a raw byte 0xFF.
MALFORMED_BASIC = {
    "nul in the user name": lambda a, t, s: "Basic " + _b64(b"MA\0:x"),
    "nul after a real auth id": lambda a, t, s: "Basic " + _b64(f"{a}\0:{t}".encode()),
    "nul in the password": lambda a, t, s: "Basic " + _b64(f"{a}:{t}\0".encode()),
    "invalid utf-8 inside": lambda a, t, s: "Basic " + _b64(b"\xff\xfe:\xff"),
    "encoded lone surrogate": lambda a, t, s: "Basic " + _b64(b"MA\xed\xa0\x80:x"),
    "raw bytes": lambda a, t, s: "Basic \xff\xfe\x00",
    "lone surrogate": lambda a, t, s: "Basic \ud800",
    "trailing escape": lambda a, t, s: "Basic " + _b64(f"{a}:{t}".encode()) + "\\",
    "escape in the user name": lambda a, t, s: "Basic " + _b64(f"{a}\\:{t}".encode()),
    "not base64": lambda a, t, s: "Basic !!!!",
    "no colon": lambda a, t, s: "Basic " + _b64(a.encode()),
    "empty": lambda a, t, s: "Basic ",
    "overlong": lambda a, t, s: "Basic " + _b64(b"MA" + b"A" * 5000 + b":x"),
    "bearer scheme": lambda a, t, s: f"Bearer {s}",
}
MALFORMED_BEARER = {
    "nul": lambda a, t, s: "Bearer \x00",
    "nul after the token": lambda a, t, s: f"Bearer {s}\x00",
    "raw bytes": lambda a, t, s: "Bearer \xff\xfe",
    "lone surrogate": lambda a, t, s: "Bearer \ud800",
    "trailing escape": lambda a, t, s: f"Bearer {s}\\",
    "upper case": lambda a, t, s: f"Bearer {s.upper()}",
    "two words": lambda a, t, s: f"Bearer {s} {s}",
    "overlong": lambda a, t, s: "Bearer " + "a" * 5000,
    "empty": lambda a, t, s: "Bearer ",
    "basic scheme": lambda a, t, s: "Basic " + _b64(f"{a}:{t}".encode()),
}
FACES = [
    *[pytest.param("plivo", make, id=f"basic {n}") for n, make in MALFORMED_BASIC.items()],
    *[pytest.param("carrierx", make, id=f"bearer {n}") for n, make in MALFORMED_BEARER.items()],
]


@pytest.mark.parametrize(("face", "make"), FACES)
def test_a_malformed_credential_is_a_401_that_counts_towards_the_lockout(
    settings, main_account, bearer, face, make
):
    settings.THROTTLE_FAILED_AUTH = "2/1m"
    _, secret = bearer(main_account)
    header = make(main_account.auth_id, main_account.raw_auth_token, secret)
    url, shape = (_plivo_list(main_account), _plivo_shape)
    if face == "carrierx":
        url, shape = (CARRIERX, _carrierx_shape)
    client = Client(REMOTE_ADDR="203.0.113.80")
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, response.content
        shape(response)
        # Nothing malformed is sent to the database (a well-formed wrong credential may be).
        assert all("\x00" not in str(q["sql"]) for q in queries.captured_queries)
    # The address is now locked out, whatever it sends next: even good credentials.
    good = {"plivo": basic(main_account), "carrierx": {"HTTP_AUTHORIZATION": f"Bearer {secret}"}}
    locked = client.get(url, **good[face])
    assert locked.status_code == 429
    shape(locked)
    assert client.get(url).status_code == 429  # no credentials at all


def test_credentials_that_cannot_exist_never_reach_the_database(main_account):
    client, plivo = Client(), _plivo_list(main_account)
    with CaptureQueriesContext(connection) as queries:
        for header in [
            "Basic " + _b64(b"MA\0:x"),
            "Basic " + _b64(b"ma" + b"A" * 18 + b":x"),  # auth ids are upper case
            "Bearer not-a-token",
            "Bearer \x00",
        ]:
            assert client.get(plivo, HTTP_AUTHORIZATION=header).status_code == 401
            assert client.get(CARRIERX, HTTP_AUTHORIZATION=header).status_code == 401
    assert queries.captured_queries == []
    assert token_lookup("\x00") is None and token_lookup("") is None


def test_good_credentials_still_work(main_account, bearer):
    CallFactory(account=main_account)
    _, secret = bearer(main_account)
    assert Client().get(_plivo_list(main_account), **basic(main_account)).status_code == 200
    carrierx = Client().get(CARRIERX, HTTP_AUTHORIZATION=f"Bearer  {secret} ")
    assert carrierx.status_code == 200
