"""Every shell example of README.md and docs/*.md runs as printed against `make run`'s demo
(issue 22): the same steps (migrate, demo_setup) into a database of its own, served as
`make run` serves it (runserver, DEBUG on), each block run by bash from a directory
holding the files it names, with the placeholders a reader fills in
(tests/docs/examples.py).

A block fails when a command exits non-zero, when a `curl` answers other than 2xx (or the
status its comment states), or when a list answers no rows: an example that looks broken
is broken. The few blocks that cannot run here (a root install, a server that runs until
stopped, SIP traffic) are named in ELSEWHERE with the test that runs them; a new block
must be one or the other.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pika
import psycopg
import pytest
from django.db import connection

from tests.docs.examples import ROOT, Block, Demo, make_files, placeholders, shell_blocks
from tests.docs.examples import substitute as fill
from tests.servers import database_url, free_port, wait_for_port

# A block that holds this text runs elsewhere, in the test named (which must exist).
ELSEWHERE = {
    "make run    #": ("the suite itself, and make run's steps", "tests/test_first_run.py"),
    "git archive HEAD": ("a root install with systemd", "tests/deploy/test_production.py"),
    "systemctl enable": ("systemd units", "tests/deploy/test_systemd.py"),
    "kamailio -f deploy": ("SIP traffic through Kamailio", "tests/ingest/test_kamailio_live.py"),
    "PROMETHEUS_MULTIPROC_DIR=/run": ("a server until stopped", "tests/test_metrics.py"),
    "apt-get install patroni": ("a Patroni pair", "tests/failover/test_failover.py"),
    "pg_basebackup -h db1": ("a restore from a base backup", "tests/failover/test_failover.py"),
}  # fmt: skip
BROKER = "amqp://guest:guest@127.0.0.1:5672/%2F"
QUEUES = ("cdrs", "cdrs.dead", "cdrs.freeswitch", "cdrs.freeswitch.dead")  # docs/broker.md's
# Blocks that change credentials (rotate, revoke, deactivate) act on an account tree of
# their own, so that the demo's credentials the other blocks use keep working.
SCRATCH = ("rotate_auth_token", "deactivate_account")
# bash runs each block; `curl` is wrapped to record each answer's status and body.
PRELUDE = """set -eo pipefail
curl() {
  local body; body=$(mktemp -p "$PWD" answer.XXXXXX)
  local status; status=$(command curl -sS -o "$body" -w '%{http_code}' "$@")
  printf '%s %s\\n' "$status" "$body" >> curl.log
  cat "$body"; echo
}
"""
# What the suite put in this process's environment, and a reader's shell has not.
FRESH_SHELL_DROPS = {"DJANGO_SETTINGS_MODULE", "CDRAPI_COMMAND", "DEBUG", "SECRET_KEY",
                     "ALLOWED_HOSTS", "DATABASE_URL", "CDRAPI_ENV_FILE"}  # fmt: skip


def _elsewhere(block: Block) -> tuple[str, str] | None:
    return next((why for key, why in ELSEWHERE.items() if key in block.text), None)


BLOCKS = shell_blocks()
RUN_HERE = [b for b in BLOCKS if not _elsewhere(b)]


@pytest.fixture(scope="module")
def docs_database(django_db_setup, django_db_blocker, tmp_path_factory):
    """A database of the suite's kind that holds only what `make run` puts there."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('docs') / 'db.sqlite3'}"
        return
    name = f"{connection.settings_dict['NAME']}_docs"[:63]
    admin = {**connection.settings_dict, "NAME": "postgres"}
    with psycopg.connect(database_url(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url({**connection.settings_dict, "NAME": name})
    finally:
        with psycopg.connect(database_url(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _shell_env(database: str) -> dict:
    """A reader's shell in a checkout after `make run`: what .env would say, given here."""
    env = {k: v for k, v in os.environ.items() if k not in FRESH_SHELL_DROPS}
    return {**env, "DATABASE_URL": database, "DEBUG": "1", "CDRAPI_ENV_FILE": ""}


def _manage_json(env: dict, *args: str) -> dict:
    result = subprocess.run([sys.executable, "manage.py", *args, "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _empty_queues() -> None:
    """The broker examples' queues start empty: what an earlier run left is not theirs."""
    connection = pika.BlockingConnection(pika.URLParameters(BROKER))
    try:
        for queue in QUEUES:
            channel = connection.channel()
            channel.queue_delete(queue)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def demo(docs_database, tmp_path_factory):
    """(Demo, shell environment, values): make run's demo, served; a scratch tree."""
    _empty_queues()
    env = _shell_env(docs_database)
    migrate = [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=600)
    made = _manage_json(env, "demo_setup")
    scratch = _manage_json(env, "create_account", "Docs scratch")
    scratch_sub = _manage_json(env, "create_account", "Docs scratch sub",
                               "--parent", scratch["auth_id"])  # fmt: skip
    scratch_token = _manage_json(env, "create_token", scratch["auth_id"], "--scopes", "calls.read")
    other = _manage_json(env, "create_account", "Docs other tenant")
    other_write = _manage_json(env, "create_token", other["auth_id"], "--scopes", "calls.write")
    partner = _manage_json(env, "list_accounts")
    main_partner = next(a["partner_sid"] for a in partner
                        if a["auth_id"] == made["main"]["auth_id"])  # fmt: skip
    with _runserver(env) as port:
        demo = Demo(
            port=port,
            main=made["main"]["auth_id"],
            main_token=made["main"]["auth_token"],
            sub=made["subaccount"]["auth_id"],
            read_token=made["read_token"],
            write_token=made["write_token"],
        )
        values = placeholders(demo)
        scratch_values = {
            **values,
            "MAXXXXXXXXXXXXXXXXXX": scratch["auth_id"],
            "SAXXXXXXXXXXXXXXXXXX": scratch_sub["auth_id"],
            "rotate_token 42": f"rotate_token {scratch_token['id']}",
            "revoke_token 42": f"revoke_token {scratch_token['id']}",
        }
        env = {
            **env,
            # docs/ingest.md's two tenants
            "A1": demo.main, "W1": demo.write_token,
            "A2": other["auth_id"], "W2": other_write["token"],
            "DJANGO_SUPERUSER_USERNAME": "docs-admin",
            "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
            "DJANGO_SUPERUSER_PASSWORD": "a-long-password-1",
        }  # fmt: skip
        yield demo, env, values, scratch_values, main_partner


@contextmanager
def _runserver(env: dict):
    """The server `make run` starts (runserver, DEBUG on), on a free port."""
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            wait_for_port(port, server, "runserver", seconds=120)
            yield port
        finally:
            server.terminate()
            server.wait(10)


def _workdir(tmp: Path, demo: Demo, partner_sid: str, values: dict) -> Path:
    """A directory standing for the checkout: its manage.py, virtualenv and tests (what
    the examples run), and the files they read; what they write stays here."""
    work = tmp / "checkout"
    work.mkdir()
    for name in ("manage.py", "tests", "deploy"):
        (work / name).symlink_to(ROOT / name)
    (work / ".venv").symlink_to(Path(sys.executable).parent.parent)
    make_files(work, demo, partner_sid, values)
    return work


@pytest.mark.parametrize("block", RUN_HERE, ids=[b.name for b in RUN_HERE])
def test_the_example_runs_as_printed(block: Block, demo, tmp_path):
    served, env, values, scratch_values, partner = demo
    values = scratch_values if any(word in block.text for word in SCRATCH) else values
    work = _workdir(tmp_path, served, partner, values)
    if block.lang == "console":
        _check_console(block, work, env, values)
        return
    script = PRELUDE + fill(block.text, values)
    result = _bash(script, work, env)
    said = result.stdout + result.stderr
    assert result.returncode == 0, f"{block.name} exited {result.returncode}:\n{said}"
    assert result.stdout.strip(), f"{block.name} printed nothing:\n{said}"
    _check_answers(block, fill(block.text, values), work)


def _bash(script: str, work: Path, env: dict):
    (work / "example.sh").write_text(script)
    return subprocess.run(["bash", "example.sh"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def _curl_lines(text: str) -> list[str]:
    """The block's curl commands, each on one line (continuations joined)."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if re.match(r"\s*curl\s", line)]


def _check_answers(block: Block, text: str, work: Path) -> None:
    lines = _curl_lines(text)
    log = (work / "curl.log").read_text().splitlines() if (work / "curl.log").exists() else []
    assert len(log) == len(lines), f"{block.name}: {len(lines)} curl lines, {len(log)} answers"
    for line, entry in zip(lines, log, strict=True):
        status, path = entry.split(" ", 1)
        body = Path(path).read_bytes()
        stated = re.search(r"#\s*(\d{3})\b(.*)$", line)
        expected = int(stated[1]) if stated else None
        ok = int(status) == expected if expected else 200 <= int(status) < 300
        assert ok, f"{block.name}: {line.strip()}\nanswered {status}: {body[:600]!r}"
        assert body.strip(), f"{block.name}: {line.strip()}\nanswered an empty body"
        data = json.loads(body)
        for key in ("objects", "items"):
            assert data.get(key, [None]), f"{block.name}: {line.strip()}\nlisted no {key}"
        if stated:  # "# 200, stored 1": the counts the comment states
            for name, count in re.findall(r"([a-z_]+) (\d+)", stated[2]):
                assert data.get(name) == int(count), f"{block.name}: {line.strip()}\n{data}"


def _check_console(block: Block, work: Path, env: dict, values: dict) -> None:
    """A console block: each `$ command` prints what the lines under it say."""
    for command, printed in re.findall(r"^\$ (.+)\n((?:(?!\$ ).*\n?)*)", block.text, re.M):
        result = _bash(fill(command, values), work, env)
        said = (result.stdout + result.stderr).strip()
        assert said == fill(printed, values).strip(), f"{block.name}: {command}\n{said}"


def test_the_docs_hold_runnable_examples():
    """The extraction finds the examples (a change to the fences must not empty this)."""
    assert len(RUN_HERE) >= 20 and any(b.lang == "console" for b in RUN_HERE)


def test_each_example_not_run_here_is_run_by_a_test_that_exists():
    for key, (what, test) in ELSEWHERE.items():
        assert any(key in b.text for b in BLOCKS), f"no example holds {key!r} any more"
        assert (ROOT / test).is_file(), f"{what}: {test} is gone"
