"""A live server for the ingestion tests: gunicorn on the test database, accounts and
credentials made by the management commands, and HTTP helpers (tests/servers.py)."""

from __future__ import annotations

import base64
import http.client
import json
from dataclasses import dataclass

from tests.servers import manage


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(port: int, method: str, path: str, body: bytes | None = None, **headers) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={k.replace("_", "-"): v
                                                         for k, v in headers.items()})  # fmt: skip
        response = conn.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        conn.close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass(frozen=True)
class Tenant:
    """A main account with a subaccount, their read and write credentials."""

    auth_id: str
    auth_token: str
    write_token: str
    read_token: str
    sub_auth_id: str
    sub_auth_token: str
    partner_sid: str
    sub_partner_sid: str

    @property
    def write(self) -> str:
        return basic(self.auth_id, self.write_token)

    @property
    def read(self) -> str:
        return basic(self.auth_id, self.auth_token)


def new_tenant(database: str) -> Tenant:
    main = json.loads(manage(database, "create_account", "Ingest test", "--json"))
    sub = json.loads(
        manage(database, "create_account", "Ingest sub", "--parent", main["auth_id"], "--json")
    )
    write = json.loads(
        manage(database, "create_token", main["auth_id"], "--scopes", "calls.write", "--json")
    )
    read = json.loads(
        manage(database, "create_token", main["auth_id"], "--scopes", "calls.read", "--json")
    )
    return Tenant(main["auth_id"], main["auth_token"], write["token"], read["token"],
                  sub["auth_id"], sub["auth_token"], main["partner_sid"],
                  sub["partner_sid"])  # fmt: skip
