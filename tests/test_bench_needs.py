"""`make bench` checks what it needs before it seeds anything: a PostgreSQL server that
answers, and wrk (installed when missing and this is root with apt-get, as .ci/run does;
otherwise it stops saying how). Run as `make bench` runs it: bench/run.py in its own
process."""

import os
import subprocess
import sys

import pytest

from tests.servers import ROOT, free_port

# The server the suite's PostgreSQL tests use (make test's default), whatever this run's.
SERVER = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cdrapi")


def _bench(database_url: str, path: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path}
    return subprocess.run(
        [sys.executable, "bench/run.py", "--rows", "1000", "--database-url", database_url],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_without_postgresql_the_bench_stops_at_once_saying_so():
    port = free_port()
    result = _bench(f"postgres://postgres@127.0.0.1:{port}/bench", os.environ["PATH"])
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"PostgreSQL does not answer at 127.0.0.1:{port} (")
    )


@pytest.mark.postgres  # the bench checks its server first
def test_without_wrk_and_no_way_to_install_it_the_bench_says_how(tmp_path):
    # A PATH with neither wrk nor apt-get in it: the same as a machine without them.
    result = _bench(SERVER.rsplit("/", 1)[0] + "/cdrapi_bench_never_made", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "wrk not found: the benchmark's load generator. Install it (Debian/Ubuntu: "
        "sudo apt-get install wrk; macOS: brew install wrk), then run make bench again."
    )
