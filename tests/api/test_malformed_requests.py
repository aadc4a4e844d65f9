"""Malformed credentials, bytes, ids and patterns: a 4xx in the face's shape, never a 500,
and a malformed credential is a failed authentication like a wrong one (the lockout counts
it). Each parameter's own refusals are the faces' catalogues (test_plivo_parameters.py,
test_carrierx_parameters.py); random values against the schema, the fuzz test's.
"""

import base64
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.services import token_lookup
from calls.carrierx.views import DETAIL_PARAMS, LIST_PARAMS
from calls.plivo import parameters
from calls.vocabulary.choices import ZENTRUNK
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
    # The address ceiling as low as the credential's: two failures lock out the address.
    settings.THROTTLE_FAILED_AUTH = settings.THROTTLE_FAILED_AUTH_ADDRESS = "2/1m"
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
    assert client.get(url, HTTP_AUTHORIZATION=header).status_code == 429
    # The address is now locked out, whatever it sends next: even good credentials.
    good = {"plivo": basic(main_account), "carrierx": {"HTTP_AUTHORIZATION": f"Bearer {secret}"}}
    locked = client.get(url, **good[face])
    assert locked.status_code == 429
    shape(locked)
    assert client.get(url).status_code == 429  # no credentials at all


# No credentials, a scheme alone, or another scheme: 401 in each face's shape.
FOREIGN = ["", "Basic", "Bearer", "basic", "Token abc", "Digest username=x"]


@pytest.mark.parametrize("header", FOREIGN, ids=lambda v: repr(v))
def test_no_or_a_foreign_authorization_is_a_401_in_each_faces_shape(main_account, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    plivo = Client().get(_plivo_list(main_account), **extra)
    assert plivo.status_code == 401
    _plivo_shape(plivo)
    carrierx = Client().get(CARRIERX, **extra)
    assert carrierx.status_code == 401
    _carrierx_shape(carrierx)


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


# --- bytes in query strings, paths and headers ------------------------------------------------
# Put straight into the query string or path, as a client would send them.
BAD_BYTES = {
    "nul": "%00",
    "lone surrogate": "%ED%A0%80",
    "invalid utf-8": "%FF%FE",
    "raw byte": "\xff",  # not percent-encoded at all
    "trailing escape": "%5C",
}
PLIVO_PARAMS = [*parameters.filters(ZENTRUNK), "subaccount", *parameters.PAGING]
CARRIERX_PARAMS = sorted(LIST_PARAMS)
FILTERS = ["number_src eq 'x{}'", "number_src like 'x{}'", "user_data.team ilike '{}'",
           "codec_src in (pcmu,x{})", "direction eq x{}"]  # fmt: skip


@pytest.fixture
def faces(main_account, bearer):
    """(url, credentials, shape checker) for every endpoint of both faces."""
    call = CallFactory(account=main_account)
    _, secret = bearer(main_account)
    plivo, carrierx = basic(main_account), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    return {
        "plivo list": (_plivo_list(main_account), plivo, _plivo_shape, PLIVO_PARAMS),
        "plivo retrieve": (
            f"{_plivo_list(main_account)}{call.call_uuid}/", plivo, _plivo_shape, ["call_uuid"]
        ),
        "carrierx list": (CARRIERX, carrierx, _carrierx_shape, CARRIERX_PARAMS),
        "carrierx retrieve": (
            f"{CARRIERX}/{call.call_uuid}", carrierx, _carrierx_shape, sorted(DETAIL_PARAMS),
        ),
    }  # fmt: skip


def _refused(response, shape) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    shape(response)


@pytest.mark.parametrize("bad", BAD_BYTES.values(), ids=BAD_BYTES.keys())
@pytest.mark.parametrize("endpoint", ["plivo list", "plivo retrieve", "carrierx list",
                                      "carrierx retrieve"])  # fmt: skip
def test_bad_bytes_in_any_parameter_are_a_4xx_in_the_faces_shape(faces, endpoint, bad):
    url, credentials, shape, params = faces[endpoint]
    client = Client()
    for param in params:
        response = client.get(url, QUERY_STRING=f"{param}=x{bad}", **credentials)
        _refused(response, shape)
        _refused(client.get(url, QUERY_STRING=f"{param}{bad}=1", **credentials), shape)
    if endpoint == "carrierx list":
        for template in FILTERS:
            value = template.format(bad).replace(" ", "+").replace("'", "%27")
            if bad == "%5C" and "like" not in template:
                continue  # a backslash is an ordinary character outside like patterns
            _refused(client.get(url, QUERY_STRING=f"filter={value}", **credentials), shape)


@pytest.mark.parametrize("bad", BAD_BYTES.values(), ids=BAD_BYTES.keys())
def test_bad_bytes_in_path_segments_are_a_4xx_in_the_faces_shape(main_account, bearer, bad):
    _, secret = bearer(main_account)
    plivo, carrierx = basic(main_account), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    account = main_account.auth_id
    for path, credentials, shape in [
        (f"/v1/Account/{account}/Call/x{bad}/", plivo, _plivo_shape),
        (f"/v1/Account/{account}{bad}/Call/", plivo, _plivo_shape),
        (f"/v1/Account/{account}/Zentrunk/Call/{bad}/", plivo, _plivo_shape),
        (f"{CARRIERX}/x{bad}", carrierx, _carrierx_shape),
    ]:
        _refused(Client().get(path, **credentials), shape)


# Ids no call has, as a client or an attacker may put them in a path.
ODD_IDS = ["' OR '1'='1", "../../etc/passwd", "x" * 3000, "\u0661\u0664\u0661\u0665", "%",
           "<script>alert(1)</script>", "null"]  # fmt: skip


@pytest.mark.parametrize("value", ODD_IDS, ids=lambda v: repr(v)[:30])
def test_odd_ids_in_paths_are_a_4xx_in_the_faces_shape(main_account, bearer, value):
    _, secret = bearer(main_account)
    part = quote(value, safe="")
    for url, credentials, shape in [
        (f"{_plivo_list(main_account)}{part}/", basic(main_account), _plivo_shape),
        (f"/v1/Account/{part}/Call/", basic(main_account), _plivo_shape),
        (f"{CARRIERX}/{part}", {"HTTP_AUTHORIZATION": f"Bearer {secret}"}, _carrierx_shape),
    ]:
        response = Client().get(url, **credentials)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        if response["Content-Type"].startswith("application/json"):
            shape(response)


# Header values as a WSGI server hands them over: ISO-8859-1 text (PEP 3333), so a lone
# surrogate can only arrive as its UTF-8 bytes.
BAD_HEADER_VALUES = {
    "nul": "a\x00b",
    "raw bytes": "\xff\xfe",
    "encoded lone surrogate": "\xed\xa0\x80",
    "trailing escape": "a\\",
    "newline": "a\nb",
}
HEADERS = ["HTTP_HOST", "HTTP_COOKIE", "HTTP_USER_AGENT", "HTTP_X_FORWARDED_FOR",
           "HTTP_X_FORWARDED_PROTO", "HTTP_ACCEPT", "CONTENT_TYPE", "HTTP_X_ANYTHING"]  # fmt: skip


@pytest.mark.parametrize("value", BAD_HEADER_VALUES.values(), ids=BAD_HEADER_VALUES.keys())
@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize("endpoint", ["plivo list", "carrierx retrieve"])
def test_bad_header_values_never_cause_a_500(settings, faces, endpoint, header, value):
    settings.NUM_PROXIES = 1  # so X-Forwarded-For is read
    url, credentials, shape, _ = faces[endpoint]
    if header == "HTTP_COOKIE":
        value = f"sessionid=abcdefgh{value}"
    response = Client().get(url, **{**credentials, header: value})
    if response.status_code == 200:  # an odd but harmless value (a User-Agent, a cookie)
        assert "\x00" not in value and "\n" not in value and header != "HTTP_HOST"
        return
    _refused(response, shape)


@pytest.mark.parametrize("path", ["/no-such-page", "/admin/", "/healthz"])
def test_a_nul_in_a_session_cookie_is_refused_before_the_session_is_read(path):
    response = Client().get(path, HTTP_COOKIE="sessionid=abcdefghij\x00k")
    assert response.status_code == 400


def test_a_log_line_does_not_load_the_session(db):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/no-such-page", HTTP_COOKIE="sessionid=abcdefghijklmnop")
    assert response.status_code == 404
    assert queries.captured_queries == []
