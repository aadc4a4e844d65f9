"""The shipped nginx config in front of gunicorn (one sync worker), for real: slow clients
stall the worker when they reach it directly and nobody through nginx; nginx's own errors
in each face's JSON shape; the client address the app sees is the one nginx saw.

No result here waits on the clock: nginx's status page says when it holds the slow
clients, and a request that a stalled worker would never answer before gunicorn's own
timeout (30 s) is given a deadline well below it, as a guard that turns a hang into a
failure."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress

import pytest

from tests.deploy.nginx import Proxy, nginx
from tests.servers import free_port, gunicorn
from tests.waiting import wait_until

# django_db: so that pytest-django creates the test database even when these run alone.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PLIVO_LIST = "/v1/Account/MAAAAAAAAAAAAAAAAAAA/Call/"
CARRIERX_LIST = "/core/v2/calls/call_drs"
DRIBBLED_HEAD = (b"POST /ingest/v1/calls HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")  # fmt: skip
# Below gunicorn's worker timeout (30 s), which is what would end a stall; far above any
# answer's time on a loaded machine. A guard only: no passing result waits for it.
STALL_GUARD = 10


def fetch(port: int, path: str, *, method: str = "GET", headers: dict | None = None,
          body: bytes | None = None, source: str | None = None, timeout: float = 10):  # fmt: skip
    """(status, headers, body) of one request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)  # fmt: skip
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response, response.read()
    finally:
        conn.close()


@contextmanager
def slow_clients(proxy: Proxy, count: int = 4) -> Iterator[None]:
    """`count` clients that send half a request and wait, and `count` that dribble a body
    one byte every 0.2 s, all held open for the duration of the block, which starts once
    nginx holds every one of them (its status page: `count` reading a head, `count`
    reading a body, besides the status request itself)."""
    stop = threading.Event()
    sockets = []
    for _ in range(count):
        half = socket.create_connection(("127.0.0.1", proxy.port))
        half.sendall(b"GET / HTTP/1.1\r\n")
        sockets.append(half)
        dribble = socket.create_connection(("127.0.0.1", proxy.port))
        dribble.sendall(DRIBBLED_HEAD)
        sockets.append(dribble)

    def drip() -> None:
        while not stop.wait(0.2):
            for sock in sockets[1::2]:
                with suppress(OSError):
                    sock.sendall(b" ")

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        wait_until(lambda: held(proxy, count), what=f"nginx holding {2 * count} slow clients")
        yield
    finally:
        stop.set()
        dripper.join()
        for sock in sockets:
            sock.close()


def held(proxy: Proxy, count: int) -> bool:
    """Whether nginx holds `count` half heads and `count` half bodies (and this asking)."""
    now = proxy.connections()
    return now["reading"] >= count and now["writing"] >= count + 1


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory):
    """gunicorn (the repo's gunicorn.conf.py, ONE sync worker, NUM_PROXIES=1 as behind
    nginx) and nginx with the shipped config in front of it: (nginx port, server)."""
    with ExitStack() as stack:
        server = stack.enter_context(gunicorn(workers=1, NUM_PROXIES="1", LOG_LEVEL="INFO",
                                              METRICS_ALLOW="127.0.0.2/32"))  # fmt: skip
        proxy = stack.enter_context(nginx(tmp_path_factory.mktemp("nginx"), server.port))
        yield proxy, server


def test_slow_clients_stall_gunicorn_alone(stack):
    """Why the proxy: one half-sent request holds the only sync worker. Its connection is
    ahead of the probe's in the listening socket's queue (first in, first accepted), so
    the worker takes it first and waits for the rest of it: the probe is not answered
    before the worker's timeout, whatever the machine's speed."""
    _, server = stack
    half = socket.create_connection(("127.0.0.1", server.port))
    half.sendall(b"GET / HTTP/1.1\r\n")
    try:
        with pytest.raises(TimeoutError):
            fetch(server.port, "/healthz", timeout=2)
    finally:
        half.close()
    assert fetch(server.port, "/healthz")[0] == 200  # the worker is free again


def test_slow_clients_do_not_delay_anyone_through_nginx(stack):
    """While nginx holds eight slow clients, the one sync worker answers everyone else:
    it never got one of them (a half request handed on would hold it until its timeout,
    as above), and they are still held, unanswered, when the others are done."""
    proxy, _ = stack
    with slow_clients(proxy):
        for _ in range(20):
            status, _, body = fetch(proxy.port, "/healthz", timeout=STALL_GUARD)
            assert status == 200, body
        assert held(proxy, 4)


def test_an_oversized_body_is_refused_by_nginx_in_the_face_shape(stack):
    port = stack[0].port
    big = b"x" * (1024 * 1024 + 1)
    status, response, body = fetch(port, PLIVO_LIST, method="POST", body=big)
    assert status == 413 and response.getheader("Content-Type") == "application/json"
    plivo = json.loads(body)
    assert set(plivo) == {"api_id", "error"} and UUID.fullmatch(plivo["api_id"])
    assert "larger than 1048576 bytes" in plivo["error"]
    status, _, body = fetch(port, CARRIERX_LIST, method="POST", body=big)
    assert status == 413
    assert json.loads(body) == {
        "message": "payload too large",
        "errors": [{"field": "request", "message": plivo["error"]}],
    }


def test_a_malformed_request_is_answered_in_json(stack):
    port = stack[0].port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n")
        answer = sock.recv(65536).decode()
    head, body = answer.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 400") and "application/json" in head
    assert "longer than 8192 bytes" in json.loads(body)["error"]


def test_the_apps_own_errors_pass_unchanged(stack):
    port = stack[0].port
    status, response, body = fetch(port, CARRIERX_LIST)
    assert status == 401 and response.getheader("WWW-Authenticate") == 'Bearer realm="cdrapi"'
    assert json.loads(body)["errors"][0]["field"] == "Authorization"


def test_the_client_address_is_the_one_nginx_saw(stack):
    """NUM_PROXIES=1: a forged X-Forwarded-For neither grants nor hides anything."""
    proxy, server = stack
    port = proxy.port
    forged = {"X-Forwarded-For": "127.0.0.2"}  # the allowed address, written by the client
    assert fetch(port, "/metrics", headers=forged)[0] == 403
    lying = {"X-Forwarded-For": "198.51.100.7, 127.0.0.1"}
    assert fetch(port, "/metrics", headers=lying, source="127.0.0.2")[0] == 200

    def logged() -> list[dict]:
        lines = [json.loads(line[line.index("{"):]) for line in server.output.splitlines()
                 if '"path":"/metrics"' in line]  # fmt: skip
        return lines if len(lines) >= 2 else []

    lines = wait_until(logged, what="gunicorn's access lines of both requests")
    assert [line["address"] for line in lines[-2:]] == ["127.0.0.1", "127.0.0.2"]


def test_upstream_down_is_a_json_answer_with_retry_after(tmp_path):
    with nginx(tmp_path, free_port()) as proxy:  # nothing listens there
        port = proxy.port
        status, response, body = fetch(port, PLIVO_LIST)
        assert status == 502 and response.getheader("Retry-After") == "5"
        plivo = json.loads(body)
        assert UUID.fullmatch(plivo["api_id"]) and "unavailable" in plivo["error"]
        status, _, body = fetch(port, "//CORE/v2/calls/call_drs")
        assert status == 502
        assert json.loads(body)["message"] == "service unavailable"
