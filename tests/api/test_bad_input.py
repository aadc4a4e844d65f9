"""What attackers and buggy clients send, thrown at every endpoint: always a 4xx in the
face's error shape (or, for input that is merely odd but valid, a 200 revealing nothing)."""

import base64
import re

import pytest
from django.test import Client

from tests.factories import CallFactory

pytestmark = pytest.mark.django_db

NASTY = [
    "' OR '1'='1",
    "1; DROP TABLE calls_call; --",
    "1' UNION SELECT auth_token_digest FROM accounts_account --",
    "%",
    "_",
    "14%5",
    "1_5",
    "\x00",
    "14\x0055",
    "\u0661\u0664\u0661\u0665",  # Arabic-Indic digits
    "\uff11\uff14\uff11\uff15",  # fullwidth digits
    "x" * 10_000,
    "-1",
    "-99999999999999999999",
    "99999999999999999999999",
    "1e9",
    "0x10",
    "NaN",
    "2026-02-30 10:00",
    "9999-12-31 23:59",
    "0000-01-01 00:00",
    "2026-11-20T25:61",
    "null",
    "[]",
    "{}",
    "../../etc/passwd",
    "<script>alert(1)</script>",
]
PLIVO_PARAMS = [
    "from_number", "to_number", "call_direction", "bill_duration", "bill_duration__gt",
    "end_time", "end_time__gte", "end_time__lt", "hangup_cause_code", "hangup_source",
    "stir_verification", "parent_call_uuid", "subaccount", "limit", "offset", "cursor",
]  # fmt: skip
CARRIERX_PARAMS = ["limit", "offset", "after", "before", "order", "filter", "include_fields",
                   "exclude_fields", "total"]  # fmt: skip
# The contract's number form: an optional + then digits, or a SIP URI's user part
# (RFC 3261 unreserved and user-unreserved characters). Such values are valid filters.
SIP_USER = re.compile(r"\+?[0-9]+|[A-Za-z0-9\-_.!~*'()&=+$,;?/]{1,128}", re.ASCII)


def _valid(param: str, value: str) -> bool:
    if param in {"from_number", "to_number"}:
        return bool(SIP_USER.fullmatch(value))
    return (param, value) == ("hangup_cause_code", "-1")


@pytest.fixture
def victim(main_account, other_account):
    """A call of another account that must never show up."""
    return CallFactory(account=other_account, from_number="+14155550000", to_number="+14155550001")


def _plivo_shape(response) -> None:
    assert set(response.json()) == {"api_id", "error"}, response.content[:200]


def _carrierx_shape(response) -> None:
    body = response.json()
    assert set(body) == {"message", "errors"} and body["errors"][0]["field"], body


@pytest.mark.parametrize("param", PLIVO_PARAMS)
@pytest.mark.parametrize("value", NASTY, ids=lambda v: repr(v)[:30])
def test_plivo_list_parameters(main_account, victim, param, value):
    from tests.api.conftest import basic

    response = Client().get(
        f"/v1/Account/{main_account.auth_id}/Call/", {param: value}, **basic(main_account)
    )
    assert response.status_code < 500
    assert str(victim.call_uuid) not in response.content.decode()
    if _valid(param, value) and response.status_code == 200:
        return
    assert 400 <= response.status_code < 500, (param, value, response.content[:200])
    _plivo_shape(response)


@pytest.mark.parametrize("param", CARRIERX_PARAMS)
@pytest.mark.parametrize("value", NASTY, ids=lambda v: repr(v)[:30])
def test_carrierx_list_parameters(main_account, bearer, victim, param, value):
    _, secret = bearer(main_account)
    response = Client().get(
        "/core/v2/calls/call_drs", {param: value}, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code < 500
    assert str(victim.call_uuid) not in response.content.decode()
    if response.status_code == 200:  # e.g. a filter value that is odd but well-formed
        assert param in {"filter", "include_fields", "exclude_fields", "total"}, (param, value)
        return
    assert 400 <= response.status_code < 500
    _carrierx_shape(response)


@pytest.mark.parametrize("value", NASTY, ids=lambda v: repr(v)[:30])
def test_paths_with_odd_ids(main_account, bearer, victim, value):
    from urllib.parse import quote

    from tests.api.conftest import basic

    _, secret = bearer(main_account)
    part = quote(value, safe="")[:3000]
    for url, headers, shape in [
        (f"/v1/Account/{main_account.auth_id}/Call/{part}/", basic(main_account), _plivo_shape),
        (f"/v1/Account/{part}/Call/", basic(main_account), _plivo_shape),
        (
            f"/core/v2/calls/call_drs/{part}",
            {"HTTP_AUTHORIZATION": f"Bearer {secret}"},
            _carrierx_shape,
        ),
    ]:
        response = Client().get(url, **headers)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        if response["Content-Type"].startswith("application/json"):
            shape(response)


def test_repeated_parameters(main_account, bearer):
    from tests.api.conftest import basic

    _, secret = bearer(main_account)
    plivo = Client().get(
        f"/v1/Account/{main_account.auth_id}/Call/?limit=1&limit=2", **basic(main_account)
    )
    assert plivo.status_code == 400
    _plivo_shape(plivo)
    carrierx = Client().get(
        "/core/v2/calls/call_drs?limit=1&limit=2", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert carrierx.status_code == 400
    _carrierx_shape(carrierx)


BAD_AUTH = [
    "", "Basic", "Basic ", "Basic !!!!", "Basic " + base64.b64encode(b"nocolon").decode(),
    "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
    "Basic " + base64.b64encode(b"MA" + b"A" * 5000 + b":x").decode(),
    "Bearer", "Bearer ", "Bearer x y", "Bearer " + "a" * 5000, "Token abc", "basic",
    "Digest username=x", "Bearer \x00",
]  # fmt: skip


@pytest.mark.parametrize("header", BAD_AUTH, ids=lambda v: repr(v)[:30])
def test_wrong_authorization_headers(main_account, header):
    url = f"/v1/Account/{main_account.auth_id}/Call/"
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    plivo = Client().get(url, **extra)
    assert plivo.status_code == 401
    _plivo_shape(plivo)
    carrierx = Client().get("/core/v2/calls/call_drs", **extra)
    assert carrierx.status_code == 401
    _carrierx_shape(carrierx)
