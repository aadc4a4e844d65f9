"""A production host in miniature: the runtime lock installed into a virtualenv of its own
(no dev tool in it), and the shipped systemd units' commands run from it as systemd would
run them (a clean environment, the unit's own variables, /opt/cdrapi being this checkout)."""

from __future__ import annotations

import hashlib
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import ROOT

UNITS = ROOT / "deploy" / "systemd"
INSTALL = "/opt/cdrapi"  # where docs/production.md installs the tree; its .venv beside
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"


def production_venv() -> Path:
    """A virtualenv holding requirements/runtime.txt alone, installed as docs/production.md
    says (`pip install --require-hashes -r`), with this Python. Kept under var/ by the
    lock's hash, so later runs reuse it; CI's fresh clone builds it (~15 s)."""
    python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    key = hashlib.sha256(RUNTIME_LOCK.read_bytes() + str(python).encode()).hexdigest()[:12]
    venv = ROOT / "var" / f"production-venv-{key}"
    done = venv / ".installed"
    if not done.exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--require-hashes", "-r", str(RUNTIME_LOCK)], check=True)  # fmt: skip
        done.touch()
    return venv


def installed(text: str, venv: Path, run: Path | None = None) -> str:
    """A unit's text with the install location made this checkout and `venv` (and /run/cdrapi
    made `run`, for a process started here)."""
    text = text.replace(f"{INSTALL}/.venv", str(venv)).replace(INSTALL, str(ROOT))
    return text.replace("/run/cdrapi", str(run)) if run else text


def service(name: str, venv: Path, run: Path | None = None) -> dict[str, list[str]]:
    """The [Service] settings of a shipped unit, as installed: {key: [values]}."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in installed((UNITS / name).read_text(), venv, run).splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def environment(unit: dict[str, list[str]], **env_file: str) -> dict[str, str]:
    """What systemd gives the unit's processes: a bare environment, the EnvironmentFile's
    variables (`env_file`, what /etc/cdrapi.env holds on a host) and the unit's own."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **env_file}
    for assignment in unit.get("Environment", []):
        key, value = assignment.split("=", 1)
        env[key] = value
    return env


def ready(notify: socket.socket) -> bool:
    """Whether the next notification (within the socket's timeout) says READY=1."""
    try:
        return b"READY=1" in notify.recv(4096)
    except TimeoutError:
        return False


@dataclass
class Gunicorn:
    process: subprocess.Popen
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn_unit(venv: Path, run: Path, **env_file: str) -> Iterator[Gunicorn]:
    """gunicorn started as cdrapi.service starts it (ExecStartPre, ExecStart, its working
    directory and environment); the unit is Type=notify, so this waits, as systemd does, for
    gunicorn's READY=1 on the NOTIFY_SOCKET. Stopped with TERM to the master (KillMode=mixed)."""
    unit = service("cdrapi.service", venv, run)
    run.mkdir(parents=True, exist_ok=True)
    env = environment(unit, **env_file)
    for command in unit.get("ExecStartPre", []):
        subprocess.run(shlex.split(command), check=True, env=env)
    notify_path = run / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(notify_path))
        notify.settimeout(0.2)
        log = run / "gunicorn.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                shlex.split(unit["ExecStart"][0]), cwd=unit["WorkingDirectory"][0],
                env={**env, "NOTIFY_SOCKET": str(notify_path)},
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        server = Gunicorn(process, log)
        try:
            deadline = time.monotonic() + 60
            while not ready(notify):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{server.output[-3000:]}")
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
