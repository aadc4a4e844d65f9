"""A Patroni pair on this machine for the failover tests: one etcd, two Patroni nodes
(each a PostgreSQL 15 server on its own port and data directory, run as the postgres
user), synchronous replication, in a temporary directory; every process is stopped on
the way out, whatever happened. The configuration is deploy/patroni/patroni.yml's,
with this machine's ports and paths filled in."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers import IN_CI, ROOT, free_port, wait_for_port
from tests.waiting import wait_until

PG_BIN = Path("/usr/lib/postgresql/15/bin")
TEMPLATE = ROOT / "deploy" / "patroni" / "patroni.yml"
NEEDED = ("/usr/bin/patroni", "/usr/bin/etcd", str(PG_BIN / "initdb"))


def _as_postgres() -> dict:
    """Popen arguments that run a process as the postgres user (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


@dataclass
class Node:
    name: str
    port: int  # PostgreSQL
    api: int  # Patroni's REST API
    data: Path
    config: Path
    log: Path
    process: subprocess.Popen | None = None

    def role(self) -> str | None:
        """ "primary", "replica" (streaming, running), or None: what Patroni's REST API says."""
        for role in ("primary", "replica"):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.api}/{role}", timeout=2):
                    return role
            except (urllib.error.URLError, OSError):
                continue
        return None

    def status(self) -> dict:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.api}/patroni", timeout=2) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return json.loads(exc.read() or b"{}")
        except (urllib.error.URLError, OSError):
            return {}

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Cluster:
    work: Path
    etcd_port: int
    nodes: list[Node] = field(default_factory=list)

    def url(self, database: str = "cdrapi", user: str = "postgres", **query: str) -> str:
        """The libpq multi-host URL of both servers."""
        hosts = ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)
        tail = "&".join(f"{k}={v}" for k, v in query.items())
        return f"postgres://{user}@{hosts}/{database}" + (f"?{tail}" if tail else "")

    def primary(self) -> Node | None:
        return next((node for node in self.nodes if node.role() == "primary"), None)

    def sync_standby(self) -> Node | None:
        """The replica that is the primary's synchronous standby, once it is one."""
        for node in self.nodes:
            if node.role() == "replica" and node.status().get("sync_standby"):
                return node
        return None

    def settled(self) -> tuple[Node, Node] | None:
        """(primary, synchronous standby) when the pair has both, else None."""
        primary, standby = self.primary(), self.sync_standby()
        return (primary, standby) if primary and standby else None

    def wait_settled(self, seconds: float = 120) -> tuple[Node, Node]:
        return wait_until(self.settled, "a primary and a synchronous standby", seconds)

    def start(self, node: Node) -> None:
        log = node.log.open("a")
        node.process = subprocess.Popen(
            ["/usr/bin/patroni", str(node.config)], cwd=self.work, stdout=log,
            stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(self.work)},
            **_as_postgres(),
        )  # fmt: skip
        log.close()

    def stop(self, node: Node) -> None:
        """Patroni's own stop (SIGTERM: a fast shutdown of its server), then whatever is
        left of the server."""
        if node.process and node.process.poll() is None:
            node.process.terminate()
            try:
                node.process.wait(60)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()
        pid = node.postmaster_pid()
        if pid:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _write_config(node: Node, etcd_port: int, work: Path, strict: bool) -> None:
    values = {
        "NAME": node.name, "ADDRESS": "127.0.0.1", "API_PORT": str(node.api),
        "PG_PORT": str(node.port), "ETCD_HOSTS": f"127.0.0.1:{etcd_port}",
        "DATA_DIR": str(node.data), "SOCKET_DIR": str(work),
        "PGPASS": str(work / f"{node.name}.pgpass"), "ARCHIVE_DIR": str(work / "archive"),
        "STRICT": "true" if strict else "false", "PASSWORD": "failover-test",
        "NETWORK": "127.0.0.1/32", "AUTH_METHOD": "trust",
    }  # fmt: skip
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    assert "{" not in text.replace("{…}", ""), "a placeholder of the template is not filled"
    node.config.write_text(text)


@contextmanager
def patroni_pair(*, strict: bool = False):
    """A running Patroni pair with a primary and a synchronous standby; `strict`:
    synchronous_mode_strict (writes wait while the standby is down)."""
    missing = [path for path in NEEDED if not Path(path).exists()]
    if missing:
        if IN_CI:
            raise RuntimeError(f"{', '.join(missing)} missing: .ci/run installs them")
        pytest.skip(f"{', '.join(missing)} missing (apt-get install patroni etcd-server)")
    work = Path(tempfile.mkdtemp(prefix="cdrapi-failover-"))
    (work / "archive").mkdir()
    if os.geteuid() == 0:
        for path in (work, work / "archive"):
            shutil.chown(path, "postgres", "postgres")
    cluster = Cluster(work, free_port())
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        peer = free_port()
        etcd = subprocess.Popen(
            ["/usr/bin/etcd", "--name", "e1", "--data-dir", str(work / "etcd"),
             "--listen-client-urls", f"http://127.0.0.1:{cluster.etcd_port}",
             "--advertise-client-urls", f"http://127.0.0.1:{cluster.etcd_port}",
             "--listen-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-cluster", f"e1=http://127.0.0.1:{peer}"],
            stdout=(work / "etcd.log").open("w"), stderr=subprocess.STDOUT, **_as_postgres(),
        )  # fmt: skip
        stack.callback(_end, etcd)
        wait_for_port(cluster.etcd_port, etcd, "etcd")
        for number in (1, 2):
            name = f"node{number}"
            node = Node(name, free_port(), free_port(), work / name, work / f"{name}.yml",
                        work / f"{name}.log")  # fmt: skip
            _write_config(node, cluster.etcd_port, work, strict)
            cluster.nodes.append(node)
            stack.callback(cluster.stop, node)
        # The first bootstraps the cluster; the second clones it once it leads.
        cluster.start(cluster.nodes[0])
        wait_until(lambda: cluster.nodes[0].role() == "primary", "node1 primary", 120)
        cluster.start(cluster.nodes[1])
        cluster.wait_settled()
        yield cluster


def _end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
