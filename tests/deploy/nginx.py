"""nginx from the distribution, serving the shipped deploy/nginx/cdrapi.conf in front of a
test gunicorn: only its HOST values change (a free port, gunicorn's port, a log path)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import IN_CI, ROOT, free_port, wait_for_port

SHIPPED = ROOT / "deploy" / "nginx" / "cdrapi.conf"
# What a host changes in the shipped file, and nothing else.
HOST_LISTEN = "listen 80;"
HOST_UPSTREAM = "server 127.0.0.1:8000;"
HOST_LOG = "/var/log/nginx/cdrapi.access.log"


def binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        if IN_CI:
            pytest.fail("nginx is missing under CI (.ci/run installs nginx-light)")
        pytest.skip("nginx is not installed (.ci/run installs nginx-light)")
    return found


def config(directory: Path, port: int, upstream_port: int) -> Path:
    """The shipped server config for this host, wrapped in the top-level file that Debian's
    /etc/nginx/nginx.conf is, with every path inside `directory` (no root needed)."""
    text = SHIPPED.read_text()
    for old, new in ((HOST_LISTEN, f"listen 127.0.0.1:{port};"),
                     (HOST_UPSTREAM, f"server 127.0.0.1:{upstream_port};"),
                     (HOST_LOG, str(directory / "access.log"))):  # fmt: skip
        assert text.count(old) == 1, f"{SHIPPED} should hold {old!r} once"
        text = text.replace(old, new)
    (directory / "cdrapi.conf").write_text(text)
    temp = " ".join(
        f"{kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = directory / "nginx.conf"
    main.write_text(
        f"worker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} info;\n"
        "events { worker_connections 512; }\n"
        f"http {{ {temp} include {directory / 'cdrapi.conf'}; }}\n"
    )
    return main


@contextmanager
def nginx(directory: Path, upstream_port: int) -> Iterator[int]:
    """nginx in the foreground on a free loopback port, proxying to `upstream_port`."""
    port = free_port()
    main = config(directory, port, upstream_port)
    process = subprocess.Popen(
        [binary(), "-p", str(directory), "-c", str(main), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(port, process, "nginx")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
