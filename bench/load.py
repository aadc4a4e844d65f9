"""Load generator: `wrk` (compiled, Debian's package) with bench/requests.lua.

A Python loop spends as much CPU per request as the server does on its side of a
loopback benchmark, and the two cores are shared: it flattered our ratio against the
textbook peer (9.5x where wrk measured 5.5-6x). wrk's threads cost a fraction of that.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).with_name("requests.lua")


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package first when it is missing and this process
    may (root, with apt-get), as .ci/run installs what the suite needs; otherwise stop
    with what to run. Called before the benchmark seeds anything, not minutes into it."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk not found; installing Debian's package (apt-get install -y wrk)",
              file=sys.stderr, flush=True)  # fmt: skip
        quiet = {"stdout": subprocess.DEVNULL}
        installed = (
            subprocess.run(["apt-get", "update", "-q"], **quiet).returncode == 0
            and subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], **quiet).returncode == 0
        )
        found = shutil.which("wrk")
        if installed and found:
            return found
    raise SystemExit(
        "wrk not found: the benchmark's load generator. Install it (Debian/Ubuntu: "
        "sudo apt-get install wrk; macOS: brew install wrk), then run make bench again."
    )


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk not found: run make bench, which installs it or says how")
    return found


def drive(base: str, requests: list[tuple[str, dict]], concurrency: int, duration: float) -> dict:
    """Send `requests` (path, headers) round-robin for `duration` s from `concurrency`
    connections; return p50 and p99 (ms), requests/s and the counts of 200, 503, other."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as listing:
        for path, headers in requests:
            listing.write(f"{path}\t{headers.get('Authorization', '')}\n")
    try:
        out = subprocess.run(
            [wrk_path(), "-t", str(min(concurrency, 2)), "-c", str(concurrency),
             "-d", f"{max(1, round(duration))}s", "--timeout", "10s", "-s", str(SCRIPT), base],
            env={**os.environ, "BENCH_REQUESTS": listing.name},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(listing.name)
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCH_RESULT "))
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["requests"] / result["seconds"] if result["seconds"] else 0.0
    return result
