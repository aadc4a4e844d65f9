"""Real servers for the scale tests: gunicorn serving the test database, a private
redis-server, and a bounded burst of requests from threads (loopback only)."""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {seconds} s")


def database_url(settings_dict: dict | None = None) -> str:
    """The URL of the database the tests use (pytest-django's test database)."""
    db = settings_dict or connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def run_manage(
    database: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a management command against `database` in its own process, as cron would:
    its exit status, stdout and stderr, whatever the status."""
    env = {**os.environ, "DATABASE_URL": database, "DEBUG": "1", "CDRAPI_COMMAND": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=300)  # fmt: skip


def manage(database: str, *args: str, stdin: str | None = None) -> str:
    """Run a management command against `database` in its own process; its stdout."""
    result = run_manage(database, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def new_account(database: str) -> tuple[str, dict]:
    """A main account made by create_account in `database`: (auth id, Basic auth header)."""
    import json

    made = json.loads(manage(database, "create_account", "Scale test", "--json"))
    return made["auth_id"], basic_header(made["auth_id"], made["auth_token"])


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn(*, workers: int = 2, port: int | None = None, **env: str):
    """gunicorn serving the real app (production settings, DEBUG off) on a free loopback
    port (or `port`, to serve again where a client expects it) against the test database;
    `env` adds or overrides settings."""
    port = port or free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cdrapi.settings",
        "DEBUG": "0",
        "SECRET_KEY": "scale-test-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "CDRAPI_COMMAND": "0",
        "DATABASE_URL": database_url(),
        **env,
    }
    with tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False) as log:
        process = subprocess.Popen(
            [GUNICORN, "cdrapi.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "--graceful-timeout", "2"],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(port, process, Path(log.name))
    try:
        wait_for_port(port, process, "gunicorn")
        for _ in range(4 * workers):  # every worker loads its URLs before the clock starts
            get(port, "/healthz")
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server.log.unlink(missing_ok=True)


@contextmanager
def redis_server():
    """A private redis-server on a free port (so a test may stop it); its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None
    body: bytes


def get(port: int, path: str, headers: dict | None = None) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return Answer(response.status, response.getheader("Retry-After"), response.read())
    finally:
        conn.close()


def basic_header(auth_id: str, token: str) -> dict:
    raw = base64.b64encode(f"{auth_id}:{token}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def burst(ports: list[int], path: str, headers: dict, *, total: int, threads: int = 8):
    """`total` GETs of `path` from `threads` threads, spread over the servers on `ports`;
    (answers, seconds from the first request to the last answer)."""
    start = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(lambda i: get(ports[i % len(ports)], path, headers), range(total)))
    return answers, time.monotonic() - start
