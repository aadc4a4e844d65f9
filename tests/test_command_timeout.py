"""Management commands get their own statement timeout; the API keeps its own."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
ROOT = Path(__file__).resolve().parent.parent
# Longer than the API's limit below; then the limit this session runs under.
SLEEP_THEN_SHOW = (
    "from django.db import connection\n"
    "with connection.cursor() as cur:\n"
    "    cur.execute('SELECT pg_sleep(0.3)')\n"
    "    cur.execute('SHOW statement_timeout')\n"
    "    print(cur.fetchone()[0])\n"
)


def _run(*argv: str, **env: str) -> subprocess.CompletedProcess:
    s = connection.settings_dict
    auth = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    url = f"postgres://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CDRAPI_COMMAND", "COMMAND_STATEMENT_TIMEOUT_MS", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, *argv],
        env={**inherited, "DEBUG": "1", "DATABASE_URL": url, "DB_STATEMENT_TIMEOUT_MS": "100",
             **env},
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_command_is_not_cut_at_the_api_statement_timeout():
    result = _run("manage.py", "shell", "-c", SLEEP_THEN_SHOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "0"  # the default: no limit


def test_commands_run_under_command_statement_timeout_ms():
    result = _run("manage.py", "shell", "-c", SLEEP_THEN_SHOW, COMMAND_STATEMENT_TIMEOUT_MS="150")
    assert result.returncode != 0
    assert "canceling statement due to statement timeout" in result.stderr


def test_the_api_process_keeps_the_api_statement_timeout():
    code = "import cdrapi.wsgi\n" + SLEEP_THEN_SHOW.replace("0.3", "0")
    result = _run("-c", code, COMMAND_STATEMENT_TIMEOUT_MS="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "100ms"
