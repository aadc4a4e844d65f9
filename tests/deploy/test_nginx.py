"""The shipped nginx config in front of gunicorn (one sync worker), for real: slow clients
stall the worker when they reach it directly and nobody through nginx; nginx's own errors
in each face's JSON shape; the client address the app sees is the one nginx saw."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress

import pytest

from tests.deploy.nginx import nginx
from tests.servers import free_port, gunicorn

# django_db: so that pytest-django creates the test database even when these run alone.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PLIVO_LIST = "/v1/Account/MAAAAAAAAAAAAAAAAAAA/Call/"
CARRIERX_LIST = "/core/v2/calls/call_drs"
DRIBBLED_HEAD = (b"POST /ingest/v1/calls HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")  # fmt: skip


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
def slow_clients(port: int, count: int = 4) -> Iterator[None]:
    """`count` clients that send half a request and wait, and `count` that dribble a body
    one byte every 0.2 s, all held open for the duration of the block."""
    stop = threading.Event()
    sockets = []
    for _ in range(count):
        half = socket.create_connection(("127.0.0.1", port))
        half.sendall(b"GET / HTTP/1.1\r\n")
        sockets.append(half)
        dribble = socket.create_connection(("127.0.0.1", port))
        dribble.sendall(DRIBBLED_HEAD)
        sockets.append(dribble)

    def drip() -> None:
        while not stop.wait(0.2):
            for sock in sockets[1::2]:
                with suppress(OSError):
                    sock.sendall(b" ")

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    time.sleep(0.3)  # they are all in, holding their connections
    try:
        yield
    finally:
        stop.set()
        dripper.join()
        for sock in sockets:
            sock.close()


def healthz_times(port: int, count: int = 20) -> list[float]:
    times = []
    for _ in range(count):
        start = time.monotonic()
        status, _, body = fetch(port, "/healthz", timeout=5)
        times.append(time.monotonic() - start)
        assert status == 200, body
    return times


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory):
    """gunicorn (the repo's gunicorn.conf.py, ONE sync worker, NUM_PROXIES=1 as behind
    nginx) and nginx with the shipped config in front of it: (nginx port, server)."""
    with ExitStack() as stack:
        server = stack.enter_context(gunicorn(workers=1, NUM_PROXIES="1", LOG_LEVEL="INFO",
                                              METRICS_ALLOW="127.0.0.2/32"))  # fmt: skip
        proxy = stack.enter_context(nginx(tmp_path_factory.mktemp("nginx"), server.port))
        yield proxy.port, server


def test_slow_clients_stall_gunicorn_alone(stack):
    """Why the proxy: one half-sent request holds the only sync worker."""
    _, server = stack
    half = socket.create_connection(("127.0.0.1", server.port))
    half.sendall(b"GET / HTTP/1.1\r\n")
    time.sleep(0.3)
    try:
        with pytest.raises(TimeoutError):
            fetch(server.port, "/healthz", timeout=2)
    finally:
        half.close()
    assert fetch(server.port, "/healthz")[0] == 200  # the worker is free again


def test_slow_clients_do_not_delay_anyone_through_nginx(stack):
    port, _ = stack
    with slow_clients(port):
        times = healthz_times(port)
    assert max(times) < 1.0, times


def test_an_oversized_body_is_refused_by_nginx_in_the_face_shape(stack):
    port, _ = stack
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
    port, _ = stack
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n")
        answer = sock.recv(65536).decode()
    head, body = answer.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 400") and "application/json" in head
    assert "longer than 8192 bytes" in json.loads(body)["error"]


def test_the_apps_own_errors_pass_unchanged(stack):
    port, _ = stack
    status, response, body = fetch(port, CARRIERX_LIST)
    assert status == 401 and response.getheader("WWW-Authenticate") == 'Bearer realm="cdrapi"'
    assert json.loads(body)["errors"][0]["field"] == "Authorization"


def test_the_client_address_is_the_one_nginx_saw(stack):
    """NUM_PROXIES=1: a forged X-Forwarded-For neither grants nor hides anything."""
    port, server = stack
    forged = {"X-Forwarded-For": "127.0.0.2"}  # the allowed address, written by the client
    assert fetch(port, "/metrics", headers=forged)[0] == 403
    lying = {"X-Forwarded-For": "198.51.100.7, 127.0.0.1"}
    assert fetch(port, "/metrics", headers=lying, source="127.0.0.2")[0] == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [json.loads(line[line.index("{"):]) for line in server.output.splitlines()
                 if '"path":"/metrics"' in line]  # fmt: skip
        if len(lines) >= 2:
            break
        time.sleep(0.1)
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
