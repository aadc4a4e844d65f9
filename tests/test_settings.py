import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from cdrapi.env import env_base_url, env_bool, env_int, env_list


def _import_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import cdrapi.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        env=clean,
        capture_output=True,
        text=True,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _import_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_sqlite_is_the_default_database():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cdrapi.settings as s; print(s.DATABASES['default']['NAME'])",
        ],
        env={**env, "DEBUG": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("db.sqlite3")


def test_database_url_selects_postgresql_with_persistent_connections():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cdrapi.settings as s; d = s.DATABASES['default']; "
            "print(d['ENGINE'], d['CONN_MAX_AGE'], d['NAME'])",
        ],
        env={**os.environ, "DEBUG": "1", "DATABASE_URL": "postgres://u:p@db:5432/cdr"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "600", "cdr"]


def test_env_helpers_fail_loudly_on_bad_values(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "ten")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 1)
    assert env_list("X_LIST", []) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "raw", ["cdr.example.com", "ftp://cdr.example.com", "https://x.example/api", "https://"]
)
def test_the_public_base_url_must_be_an_origin(monkeypatch, raw):
    monkeypatch.setenv("X_URL", raw)
    with pytest.raises(ImproperlyConfigured, match="X_URL"):
        env_base_url("X_URL")


def test_the_public_base_url_loses_its_trailing_slash(monkeypatch):
    monkeypatch.setenv("X_URL", "https://cdr.example.com:8443/")
    assert env_base_url("X_URL") == "https://cdr.example.com:8443"
