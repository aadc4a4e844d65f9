"""A setting that would make every request fail, or that is malformed, stops each entry
point at start-up with one line naming it (cdrapi/startup.py): manage.py check and
runserver, the WSGI application, and gunicorn before any worker starts. Each in a
process of its own, as an operator starts it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import GUNICORN, ROOT, free_port

PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "a-production-secret-key-" + "x" * 40}
NO_HOSTS = ("cdrapi cannot start: ALLOWED_HOSTS must be set when DEBUG is off: the host "
            "names clients reach this server by, comma-separated (ALLOWED_HOSTS=cdr.example.com); "
            "without it every request is refused")  # fmt: skip


def _run(argv: list[str], **settings: str) -> subprocess.CompletedProcess:
    """`argv` from the checkout with production settings, none of the suite's (and no
    ALLOWED_HOSTS) but those given."""
    unset = {"ALLOWED_HOSTS", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(argv, cwd=ROOT, env={**env, **PRODUCTION, **settings},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


MANAGE = [sys.executable, "manage.py"]


@pytest.mark.parametrize(
    "command", [["check"], ["runserver", "--noreload"], ["create_account", "X"]]
)
def test_manage_py_without_allowed_hosts_stops_with_one_line(command):
    if command[0] == "runserver":
        command = [*command, f"127.0.0.1:{free_port()}"]
    result = _run([*MANAGE, *command])
    assert result.returncode == 1
    assert _one_line(result) == NO_HOSTS


HOST = {"ALLOWED_HOSTS": "cdr.example.com"}
NOT_A_HOST = "is not a host name as clients send it"
BAD = [
    *[({"ALLOWED_HOSTS": host}, f"ALLOWED_HOSTS: {host!r} {NOT_A_HOST}")
      for host in ["https://cdr.example.com", "cdr.example.com:443", "cdr.example.com/api"]],
    ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS must be set when DEBUG is off"),
    ({**HOST, "SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG is off"),
    ({**HOST, "DATABASE_URL": "postgress://u:hidden@db/cdr"}, "DATABASE_URL must be a URL"),
    ({**HOST, "THROTTLE_ADDRESS": "600 per 5s"}, "THROTTLE_ADDRESS: "),
]  # fmt: skip


@pytest.mark.parametrize(("settings", "says"), BAD)
def test_each_bad_setting_is_one_line_naming_it(settings, says):
    result = _run([*MANAGE, "check"], **settings)
    assert result.returncode == 1
    line = _one_line(result)
    assert line.startswith(f"cdrapi cannot start: {says}"), line
    assert "hidden" not in line  # a database URL's password is never printed


def test_good_host_names_pass():
    hosts = "cdr.example.com,.example.org,10.0.0.5,[::1],localhost,cdr.example.com."
    result = _run([*MANAGE, "check"], ALLOWED_HOSTS=hosts)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_wsgi_application_stops_as_a_worker_that_cannot_boot():
    result = _run([sys.executable, "-c", "import cdrapi.wsgi"])
    assert result.returncode == 3  # gunicorn's master stops on it instead of respawning
    assert _one_line(result) == NO_HOSTS


def test_gunicorn_stops_before_any_worker_with_one_line(tmp_path):
    pidfile = tmp_path / "gunicorn.pid"
    # Started as docs/production.md starts it: from the checkout, reading gunicorn.conf.py.
    result = _run([GUNICORN, "cdrapi.wsgi", "--bind", f"127.0.0.1:{free_port()}"],
                  GUNICORN_PIDFILE=str(pidfile))  # fmt: skip
    assert result.returncode == 1
    ours = [line for line in result.stderr.splitlines() if "cdrapi" in line]
    assert ours == [NO_HOSTS]
    assert "Booting worker" not in result.stderr and "Traceback" not in result.stderr
    assert "Reason: bad settings (the line above)" in result.stderr
    assert not Path(pidfile).exists()  # gunicorn's own shutdown removed it
