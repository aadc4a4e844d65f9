"""deploy/systemd/: every unit passes `systemd-analyze verify` without a word (paths made this
checkout's: the units name /opt/cdrapi, where docs/production.md installs), and the timers'
services run as written against the test database. gunicorn's unit is started as systemd
would start it in test_production.py."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.nginx import binary
from tests.deploy.production import INSTALL, UNITS, environment, installed, service
from tests.servers import database_url

pytestmark = pytest.mark.postgres  # no django_db mark on the commands' test: see below

VENV = Path(sys.executable).parent.parent  # the test virtualenv stands in for /opt/cdrapi/.venv
SHIPPED = sorted(p.name for p in UNITS.iterdir())


def test_the_units_shipped_are_the_documented_set():
    assert SHIPPED == [
        "cdrapi-consume@.service",
        "cdrapi-ensure-partitions.service",
        "cdrapi-ensure-partitions.timer",
        "cdrapi-purge-calls.service",
        "cdrapi-purge-calls.timer",
        "cdrapi.service",
    ]
    for name in SHIPPED:
        text = (UNITS / name).read_text()
        if name.endswith(".service"):
            assert f"WorkingDirectory={INSTALL}\n" in text, name
            assert f"ExecStart={INSTALL}/.venv/bin/" in text, name


def test_every_unit_passes_systemd_analyze_verify(tmp_path):
    analyze = binary("systemd-analyze", "systemd")
    for name in SHIPPED:
        (tmp_path / name).write_text(installed((UNITS / name).read_text(), VENV))
    # A template is verified through an instance (its %i filled in).
    units = [str(tmp_path / n) for n in SHIPPED if not n.endswith("@.service")]
    units.append(str(tmp_path / "cdrapi-consume@cdrs.service"))
    checked = subprocess.run([analyze, "verify", *units], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == "", checked.stderr  # not even a warning


@pytest.mark.django_db  # (also what makes a run of this module alone set the test database up)
def test_a_broken_unit_is_caught(tmp_path):
    """The verify above can fail: a typo in a key or a calendar is reported."""
    analyze = binary("systemd-analyze", "systemd")
    service_text = installed((UNITS / "cdrapi-purge-calls.service").read_text(), VENV)
    (tmp_path / "cdrapi-purge-calls.service").write_text(
        service_text.replace("WorkingDirectory=", "WorkingDir=")
    )
    timer = (UNITS / "cdrapi-purge-calls.timer").read_text()
    (tmp_path / "cdrapi-purge-calls.timer").write_text(timer.replace("03:40:00", "27:40:00"))
    checked = subprocess.run([analyze, "verify", str(tmp_path / "cdrapi-purge-calls.timer")],
                             capture_output=True, text=True)  # fmt: skip
    assert "Unknown key 'WorkingDir'" in checked.stderr
    assert "Failed to parse calendar specification" in checked.stderr


def test_the_timers_services_run_as_written(served_database):
    """Each service's command line as systemd runs it (its working directory, a bare
    environment): ensure_partitions as written, purge_calls with --dry-run added (a real
    purge would take calls the other live tests wrote)."""
    for name, extra in (("cdrapi-ensure-partitions.service", []),
                        ("cdrapi-purge-calls.service", ["--dry-run"])):  # fmt: skip
        unit = service(name, VENV)
        # What /etc/cdrapi.env holds in production (docs/production.md)
        env = environment(unit, DEBUG="0", SECRET_KEY="unit-test-secret-" + "k" * 40,
                          ALLOWED_HOSTS="cdr.example.com", DATABASE_URL=database_url())  # fmt: skip
        [command] = unit["ExecStart"]
        ran = subprocess.run([*shlex.split(command), *extra], cwd=unit["WorkingDirectory"][0],
                             env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert ran.returncode == 0, (name, ran.stderr)
        assert ran.stderr == "", (name, ran.stderr)  # -v 0: nothing for cron/journal to keep
