"""The production path, for real: gunicorn started as deploy/systemd/cdrapi.service starts it,
from a virtualenv holding the runtime lock alone, with DEBUG=0 and the production settings;
nginx with the shipped config terminating TLS (a certificate from a CA the test makes);
Kamailio with the shipped cfg posting each call's CDR over HTTPS through nginx; the calls
then listed through nginx over HTTPS with the Plivo API; plain HTTP through nginx redirects
GETs and refuses POSTs, whatever scheme header the client writes."""

from __future__ import annotations

import http.client
import json
import ssl
import subprocess
from pathlib import Path

import pytest

from tests.deploy.nginx import nginx
from tests.deploy.production import gunicorn_unit, production_venv
from tests.ingest.test_kamailio_live import (  # noqa: F401  (_switch_installed: autouse)
    ANSWERED,
    BUSY,
    LIMITS,
    Switch,
    _switch_installed,
)
from tests.servers import basic_header, database_url, free_port, manage

pytestmark = pytest.mark.postgres  # no django_db mark on the live test: see test_kamailio_live


@pytest.fixture(scope="module")
def venv() -> Path:
    return production_venv()


class Https:
    """A client of nginx's HTTPS port that trusts the test's CA, as an API client would."""

    def __init__(self, port: int, ca: Path) -> None:
        self.port = port
        self.context = ssl.create_default_context(cafile=str(ca))

    def get(self, path: str, headers: dict) -> tuple[int, http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context,
                                           timeout=30)  # fmt: skip
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, response, response.read()
        finally:
            conn.close()


def plain(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body,
                     headers={"Content-Type": "application/json", **(headers or {})})  # fmt: skip
        response = conn.getresponse()
        return response.status, response, response.read()
    finally:
        conn.close()


def host_env(port: int, **overrides: str) -> dict[str, str]:
    """/etc/cdrapi.env on this host (docs/production.md), against the test database."""
    return {
        "DEBUG": "0", "SECRET_KEY": "production-test-secret-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": database_url(),
        "BEHIND_TLS_PROXY": "1", "NUM_PROXIES": "1", "LOG_LEVEL": "INFO",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", **LIMITS, **overrides,
    }  # fmt: skip


@pytest.mark.django_db  # (also what makes a run of this module alone set the test database up)
def test_the_production_install_holds_the_app_and_no_dev_tool(venv):
    python = str(venv / "bin" / "python")
    assert subprocess.run([python, "-m", "pip", "check"], capture_output=True).returncode == 0
    for tool in ("pytest", "playwright", "schemathesis", "hypothesis", "ruff", "uv", "plivo"):
        found = subprocess.run([python, "-c", f"import {tool}"], capture_output=True)
        assert found.returncode != 0, f"{tool} is importable in the production install"
    for package in ("django", "gunicorn", "psycopg", "rest_framework", "redis", "pika"):
        subprocess.run([python, "-c", f"import {package}"], check=True)


def _account(database: str) -> tuple[str, dict, str]:
    """A main account: its auth id, Basic header and partner_sid (part of Kamailio uuids)."""
    made = json.loads(manage(database, "create_account", "Production", "--json"))
    return made["auth_id"], basic_header(made["auth_id"], made["auth_token"]), made["partner_sid"]


def test_a_switch_posts_over_https_through_nginx_and_the_call_is_listed(
    served_database, venv, tmp_path
):
    auth_id, read, partner_sid = _account(served_database)
    made = manage(served_database, "create_token", auth_id, "--scopes", "calls.write", "--json")
    token = json.loads(made)["token"]
    port = free_port()
    with (
        nginx(tmp_path / "nginx", port) as proxy,
        gunicorn_unit(venv, tmp_path / "run", **host_env(port)) as server,
    ):
        url = f"https://{auth_id}:{token}@127.0.0.1:{proxy.tls_port}/ingest/v1/kamailio"
        with Switch.running(url, partner_sid, CDRAPI_CA_FILE=str(proxy.ca)) as switch:
            busy = switch.call("uac.xml", BUSY)
            answered = switch.call("uac.xml", ANSWERED, "-d", "1000")
            https = Https(proxy.tls_port, proxy.ca)
            switch.wait_until(lambda: len(switch.ended()) == 2 and all(
                https.get(f"/v1/Account/{auth_id}/Zentrunk/Call/{uuid}/", read)[0] == 200
                for _, uuid in switch.ended()
            ))  # fmt: skip
            status, response, body = https.get(f"/v1/Account/{auth_id}/Zentrunk/Call/", read)
            assert status == 200, body
            assert response.getheader("Strict-Transport-Security").startswith("max-age=")
            page = json.loads(body)
            assert page["meta"]["total_count"] == 2
            assert {c["call_uuid"] for c in page["objects"]} == {u for _, u in switch.ended()}
            by_number = {call["to_number"]: call for call in page["objects"]}
            for expected in (busy, answered):
                call = by_number[expected["to_number"]]
                assert call | expected | switch.durations(call["call_uuid"]) == call
            assert switch.lines("CDR_POSTED") == 2
            assert switch.lines("CDR_RETRY") == switch.lines("CDR_REFUSED") == 0

        # Over plain HTTP through nginx: GET redirected, POST refused, health answered; a
        # scheme header the client wrote changes none of it.
        status, response, _ = plain(proxy.port, "GET", f"/v1/Account/{auth_id}/Call/")
        assert status == 301 and response.getheader("Location").startswith("https://")
        for forged in ({}, {"X-Forwarded-Proto": "https"}, {"X-Forwarded-Ssl": "on"},
                       {"X-Forwarded-Protocol": "ssl"}):  # fmt: skip
            status, _, refused = plain(proxy.port, "POST", "/ingest/v1/kamailio", b"{}", forged)
            assert status == 403, (forged, refused)
            assert json.loads(refused)["error"].startswith("HTTPS is required")
        assert plain(proxy.port, "GET", "/healthz")[0] == 200
        assert plain(proxy.port, "GET", "/readyz")[0] == 200
        access = server.output

    # The app took the switch's posts as HTTPS (nginx's word) and refused the plain ones.
    posts = [json.loads(line[line.index("{"):]) for line in access.splitlines()
             if '"path":"/ingest/v1/kamailio"' in line]  # fmt: skip
    assert sorted(p["status"] for p in posts) == [201, 201, 403, 403, 403, 403]


def test_the_switch_refuses_a_certificate_its_cas_do_not_vouch_for(tmp_path):
    """The shipped cfg checks cdrapi's certificate: one signed by a CA that CDRAPI_CA_FILE
    (the system's CAs, as shipped) does not hold gets no CDR, and the CDR stays queued."""
    with nginx(tmp_path / "nginx", free_port()) as proxy:
        url = f"https://MA:token@127.0.0.1:{proxy.tls_port}/ingest/v1/kamailio"
        with Switch.running(url, "00000000-0000-4000-8000-000000000000") as switch:
            switch.call("uac.xml", BUSY)
            switch.wait_until(lambda: switch.lines("CDR_RETRY rc=60") >= 2)  # curl: bad peer
            assert switch.lines("CDR_POSTED") == switch.lines("CDR_CONFIG_ERROR") == 0
        assert "/ingest/" not in proxy.access_log.read_text()  # not one request was sent
