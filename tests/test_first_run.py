"""The first run leaves a local settings file (`python -m cdrapi.first_run`, `make run`'s
first step); every later command, typed in a fresh shell without DEBUG, SECRET_KEY or
DATABASE_URL, reads it and reaches the same database, and the hints demo_setup prints
work as printed."""

import io
import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cdrapi.env import read_env_file, write_local_env
from tests.servers import ROOT, database_url

# What `make run` or the suite put in this process's environment, and a new shell has not.
NOT_IN_A_FRESH_SHELL = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE",
                        "CDRAPI_COMMAND", "CDRAPI_ENV_FILE", "ALLOWED_HOSTS"}  # fmt: skip


def _fresh_shell(env_file: Path, **extra: str) -> dict:
    """A new shell's environment in a checkout whose local settings file is `env_file`
    (named, so that no test touches the checkout's own .env)."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_IN_A_FRESH_SHELL}
    return {**env, "CDRAPI_ENV_FILE": str(env_file), **extra}


def _run(command: list[str] | str, env: dict) -> subprocess.CompletedProcess:
    """A command from the checkout's directory, as a developer types it (a string: through
    bash, verbatim)."""
    argv = ["bash", "-c", command] if isinstance(command, str) else command
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _first_run(env_file: Path, database: str) -> str:
    env = _fresh_shell(env_file, DATABASE_URL=database)
    return _run([sys.executable, "-m", "cdrapi.first_run"], env).stdout


def _login_hint(output: str) -> str:
    """The command demo_setup prints for making an admin login."""
    return re.search(r"make a login: (.+ createsuperuser)\)", output)[1]


def test_commands_in_a_fresh_shell_use_the_first_runs_settings_and_database(tmp_path):
    env_file, db = tmp_path / ".env", tmp_path / "db.sqlite3"
    _first_run(env_file, f"sqlite:///{db}")
    written = read_env_file(env_file)
    assert written["DEBUG"] == "1" and len(written["SECRET_KEY"]) >= 50
    assert written["DATABASE_URL"] == f"sqlite:///{db}"
    assert env_file.stat().st_mode & 0o777 == 0o600  # it holds the secret key

    fresh = _fresh_shell(env_file)
    _run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], fresh)
    out = _run([sys.executable, "manage.py", "demo_setup", "--calls", "8"], fresh).stdout
    hint = _login_hint(out)
    assert hint == ".venv/bin/python manage.py createsuperuser"  # nothing to add: .env says it
    hint = hint.replace(".venv/bin/python", sys.executable)  # this suite's virtualenv
    _run(f"{hint} --no-input --username admin --email admin@example.com",
         {**fresh, "DJANGO_SUPERUSER_PASSWORD": "a-long-password-1"})  # fmt: skip
    _run([sys.executable, "manage.py", "create_account", "Acme", "--json"], fresh)

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT username FROM auth_user").fetchall() == [("admin",)]
        names = {name for (name,) in conn.execute("SELECT name FROM accounts_account")}
    assert "Acme" in names and "Demo main account" in names

    # Written once: another run, with another database, keeps the file as it is.
    before = env_file.read_bytes()
    assert "kept as it is" in _first_run(env_file, f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert env_file.read_bytes() == before


def test_without_database_url_the_first_run_writes_the_checkouts_sqlite_file(tmp_path):
    env_file = tmp_path / ".env"
    env = _fresh_shell(env_file)
    _run([sys.executable, "-m", "cdrapi.first_run"], env)
    assert read_env_file(env_file)["DATABASE_URL"] == f"sqlite:///{ROOT / 'db.sqlite3'}"


def test_a_busy_port_stops_make_run_before_it_writes_or_rotates_anything(tmp_path):
    # make run's first step gets HOST and PORT: a second `make run` on a served port stops
    # there, before demo_setup rotates the credentials the first one printed.
    env_file = tmp_path / ".env"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        command = [sys.executable, "-m", "cdrapi.first_run", "127.0.0.1", str(port)]
        result = subprocess.run(command, cwd=ROOT, env=_fresh_shell(env_file),
                                capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 1 and not env_file.exists()
    assert result.stderr == (
        f"Port {port} on 127.0.0.1 is in use (another `make run`?): stop it, or serve on "
        f"another port: PORT={port + 1} make run (a new run rotates the demo credentials: "
        "those printed before stop working)\n"
    )
    assert "python -m cdrapi.first_run $(HOST) $(PORT)\n" in (ROOT / "Makefile").read_text()


def test_the_environment_wins_over_the_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# mine\nDEBUG=1  # on\nLOG_LEVEL='DEBUG'\n"
                        "export DATABASE_URL=sqlite:///nowhere\n")  # fmt: skip
    show = "import cdrapi.settings as s; print(s.DEBUG, s.LOGGING['root']['level'], s.DATABASE_URL)"
    env = _fresh_shell(env_file, DATABASE_URL="sqlite:///chosen")
    assert _run([sys.executable, "-c", show], env).stdout.split() == [
        "True",
        "DEBUG",
        "sqlite:///chosen",
    ]


@pytest.mark.parametrize("line", ["DEBUG", "DEBUG 1", "1DEBUG=1", "export", "MY NAME=1"])
def test_a_line_that_is_no_setting_stops_start_up_naming_it(tmp_path, line):
    env_file = tmp_path / ".env"
    env_file.write_text(f"# local\nDEBUG=1\n{line}\n")
    result = subprocess.run([sys.executable, "-c", "import cdrapi.settings"], cwd=ROOT,
                            env=_fresh_shell(env_file), capture_output=True, text=True)  # fmt: skip
    assert result.returncode != 0
    assert f"{env_file}, line 3: expected NAME=value" in result.stderr


def test_the_suite_reads_no_local_settings_file():
    from django.conf import settings

    assert settings.LOCAL_ENV_FILE is None


@pytest.mark.postgres
def test_on_postgresql_a_fresh_shells_command_reaches_the_first_runs_database(
    tmp_path, served_database, django_db_blocker
):
    from accounts.models import Account

    env_file = tmp_path / ".env"
    _first_run(env_file, served_database)
    made = _run([sys.executable, "manage.py", "create_account", "First run", "--json"],
                _fresh_shell(env_file)).stdout  # fmt: skip
    auth_id = re.search(r'"auth_id": "(\w+)"', made)[1]
    with django_db_blocker.unblock():
        assert Account.objects.filter(auth_id=auth_id, name="First run").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_hint_names_the_database_the_file_does_not(tmp_path, settings):
    # The run's DATABASE_URL came from the environment and differs from .env's (a
    # checkout first run on SQLite, now on PostgreSQL): the printed hint carries it.
    env_file, elsewhere = tmp_path / ".env", tmp_path / "never.sqlite3"
    write_local_env(env_file, f"sqlite:///{elsewhere}")
    settings.LOCAL_ENV_FILE = env_file
    settings.DATABASE_URL = database_url()
    out = io.StringIO()
    call_command("demo_setup", "--calls", "4", stdout=out)
    hint = _login_hint(out.getvalue())
    assert hint.startswith("DATABASE_URL=postgres://")
    hint = hint.replace(".venv/bin/python", sys.executable)
    _run(f"{hint} --no-input --username hinted --email hinted@example.com",
         _fresh_shell(env_file, DJANGO_SUPERUSER_PASSWORD="a-long-password-1"))  # fmt: skip
    assert get_user_model().objects.filter(username="hinted").exists()
    assert not elsewhere.exists()
