"""Plain HTTP under the production settings (DEBUG off, SECURE_SSL_REDIRECT on): a GET or
HEAD is redirected to HTTPS, any other method is refused with a 403 in the face's JSON shape
(a redirected POST is what sent switches into an endless re-post loop), and the health
checks answer load balancers over plain HTTP."""

from __future__ import annotations

import http.client
import json
import time

import pytest

from accounts.models import Account
from calls.ingest.kamailio import call_uuid
from calls.models import Call
from tests.factories import AccountFactory, BearerTokenFactory
from tests.ingest.live import basic

PLIVO_LIST = "/v1/Account/MAAAAAAAAAAAAAAAAAAA/Call/"
CARRIERX_LIST = "/core/v2/calls/call_drs"
KAMAILIO = "/ingest/v1/kamailio"


@pytest.fixture(autouse=True)
def production(settings):
    """The production settings as a host runs them behind nginx (BEHIND_TLS_PROXY=1)."""
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.fixture
def switch(db):
    """(Authorization header, auth id) of a switch's calls.write credential."""
    account = AccountFactory(name="Switch")
    token = BearerTokenFactory(account=account, scopes=["calls.write"])
    return basic(account.auth_id, token.raw_secret), account.auth_id


def kamailio_cdr() -> dict:
    end = time.time() - 60
    return {
        "start_time": f"{end - 12.5:.3f}", "end_time": f"{end:.3f}", "duration": "12.500",
        "call_id": f"{time.monotonic_ns()}@10.0.0.1", "from_tag": "as5f1c2d",
        "from_user": "+14155550100", "to_user": "442071234567", "sip_code": "200",
        "sip_reason": "OK", "answered": "true", "setup_ts": f"{end - 12.5:.6f}",
        "answer_ts": f"{end - 10.2:.6f}",
    }  # fmt: skip


def post_cdr(client, auth: str, doc: dict, **extra):
    return client.post(KAMAILIO, json.dumps(doc), content_type="application/json",
                       HTTP_AUTHORIZATION=auth, **extra)  # fmt: skip


def test_a_cdr_posted_over_plain_http_is_refused_not_redirected(client, switch):
    auth, _ = switch
    response = post_cdr(client, auth, kamailio_cdr())
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"  # the headers of every answer
    assert "Location" not in response
    body = response.json()
    assert set(body) == {"api_id", "error"}
    assert body["error"].startswith("HTTPS is required: this POST came over plain HTTP")
    assert not Call.objects.exists()


def test_the_same_cdr_over_https_is_stored(client, switch):
    auth, _ = switch
    doc = kamailio_cdr()
    assert post_cdr(client, auth, doc, secure=True).status_code == 201
    # Behind nginx: the scheme nginx saw, in X-Forwarded-Proto.
    again = kamailio_cdr()
    assert post_cdr(client, auth, again, HTTP_X_FORWARDED_PROTO="https").status_code == 201
    stored = set(Call.objects.values_list("call_uuid", flat=True))
    partner_sid = str(Account.objects.get(auth_id=switch[1]).partner_sid)
    assert stored == {call_uuid(partner_sid, d["call_id"], d["from_tag"]) for d in (doc, again)}
    # nginx's port 80 says http: refused, whatever the client wrote elsewhere.
    third = post_cdr(client, auth, kamailio_cdr(), HTTP_X_FORWARDED_PROTO="http")
    assert third.status_code == 403 and Call.objects.count() == 2


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_every_method_but_get_and_head_is_refused_in_the_face_shape(client, method):
    plivo = getattr(client, method)(PLIVO_LIST)
    assert plivo.status_code == 403 and "Location" not in plivo
    assert plivo.json()["error"].startswith(f"HTTPS is required: this {method.upper()} came")
    carrierx = getattr(client, method)(CARRIERX_LIST)
    assert carrierx.status_code == 403
    assert carrierx.json() == {
        "message": "forbidden",
        "errors": [{"field": "request", "message": plivo.json()["error"]}],
    }


@pytest.mark.parametrize("path", [PLIVO_LIST, CARRIERX_LIST + "?limit=5", "/admin/"])
def test_get_and_head_are_still_redirected_to_https(client, path):
    for response in (client.get(path), client.head(path)):
        assert response.status_code == 301
        assert response["Location"] == f"https://testserver{path}"


def test_health_checks_answer_over_plain_http(client, db):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.head("/healthz").status_code == 200


def test_the_refusal_is_logged_with_the_body_s_api_id(client, caplog):
    with caplog.at_level("INFO", logger="cdrapi.access"):
        response = client.post(PLIVO_LIST)
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cdrapi.access"]
    assert [(line["status"], line["api_id"]) for line in logged] == [
        (403, response.json()["api_id"])
    ]


@pytest.mark.postgres
def test_gunicorn_does_not_take_the_scheme_from_a_forged_header(served_database):
    # gunicorn trusts X-Forwarded-Proto from 127.0.0.1 by default; without
    # BEHIND_TLS_PROXY nobody may say "https" for the client (hostile probe: a POST over
    # plain HTTP with that header was stored).
    from tests.servers import gunicorn

    with gunicorn(workers=1, SECURE_SSL_REDIRECT="1") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("POST", KAMAILIO, body=b"{}", headers={
            "X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on",
            "X-Forwarded-Protocol": "ssl", "Content-Type": "application/json"})  # fmt: skip
        answer = conn.getresponse()
        assert answer.status == 403, answer.read()
        assert "HTTPS is required" in json.loads(answer.read())["error"]
        conn.close()
