"""nginx from the distribution, serving the shipped deploy/nginx/cdrapi.conf in front of a
test gunicorn: only its HOST values change (free ports, gunicorn's port, a log path, a
certificate signed by a CA the test makes with openssl). Beside it, outside the shipped
file, a status server (stub_status) on a port of its own tells the tests which client
connections nginx holds."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import IN_CI, ROOT, free_port, wait_for_port

SHIPPED = ROOT / "deploy" / "nginx" / "cdrapi.conf"
# What a host changes in the shipped file, and nothing else.
HOST_LISTEN = "listen 80;"
HOST_TLS_LISTEN = "listen 443 ssl;"
HOST_CERTIFICATE = "/etc/ssl/certs/cdrapi.pem"
HOST_KEY = "/etc/ssl/private/cdrapi.key"
HOST_UPSTREAM = "server 127.0.0.1:8000;"
HOST_LOG = "/var/log/nginx/cdrapi.access.log"


@dataclass(frozen=True)
class Proxy:
    port: int  # plain HTTP
    tls_port: int  # HTTPS, with a certificate for 127.0.0.1 and localhost
    ca: Path  # the CA that signed it (PEM), for clients to trust
    access_log: Path
    status_port: int  # stub_status, the test's own

    def connections(self) -> dict[str, int]:
        """The client connections nginx holds: reading (a request's head), writing (a
        request read or being answered, its body included, this one too), waiting."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.status_port}/", timeout=10) as r:
            text = r.read().decode()
        return {k.lower(): int(v) for k, v in re.findall(r"(Reading|Writing|Waiting): (\d+)", text)}


def binary(name: str = "nginx", package: str = "nginx-light") -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        if IN_CI:
            pytest.fail(f"{name} is missing under CI (.ci/run installs {package})")
        pytest.skip(f"{name} is not installed (.ci/run installs {package})")
    return found


def certificate(directory: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key), PEM: a CA made for this run, and a
    certificate it signed for 127.0.0.1 and localhost, as a host's would be by its CA."""
    openssl = binary("openssl", "openssl")
    names = ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    ca_key, ca, key, csr, cert = (directory / name for name in names)
    extensions = directory / "server.ext"
    extensions.write_text(  # what a strict verifier (Python 3.13's default) asks of them
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for args in (
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=cdrapi test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", extensions],
    ):  # fmt: skip
        subprocess.run([openssl, *map(str, args)], check=True, capture_output=True)
    return ca, cert, key


def config(directory: Path, port: int, tls_port: int, upstream_port: int, status_port: int) -> Path:
    """The shipped server config for this host, wrapped in the top-level file that Debian's
    /etc/nginx/nginx.conf is, with every path inside `directory` (no root needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    text = SHIPPED.read_text()
    _, cert, key = certificate(directory)
    for old, new in ((HOST_LISTEN, f"listen 127.0.0.1:{port};"),
                     (HOST_TLS_LISTEN, f"listen 127.0.0.1:{tls_port} ssl;"),
                     (HOST_CERTIFICATE, str(cert)), (HOST_KEY, str(key)),
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
        f"http {{ {temp} include {directory / 'cdrapi.conf'};\n"
        f"  server {{ listen 127.0.0.1:{status_port}; access_log off;"
        " location / { stub_status; } }\n}\n"
    )
    return main


@contextmanager
def nginx(directory: Path, upstream_port: int) -> Iterator[Proxy]:
    """nginx in the foreground on free loopback ports (HTTP and HTTPS), proxying to
    `upstream_port`."""
    port, tls_port, status_port = free_port(), free_port(), free_port()
    main = config(directory, port, tls_port, upstream_port, status_port)
    process = subprocess.Popen(
        [binary(), "-p", str(directory), "-c", str(main), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(port, process, "nginx")
        wait_for_port(status_port, process, "nginx's status server")
        yield Proxy(port, tls_port, directory / "ca.pem", directory / "access.log", status_port)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
