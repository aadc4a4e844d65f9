import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from cdrapi.env import (
    env_base_url,
    env_bool,
    env_directory,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_url,
    parse_rate,
)


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


RATES = ["THROTTLE_PLIVO_ACCOUNT", "THROTTLE_CARRIERX_TOKEN", "THROTTLE_ADDRESS",
         "THROTTLE_FAILED_AUTH", "THROTTLE_FAILED_AUTH_ADDRESS"]  # fmt: skip


@pytest.mark.parametrize("name", RATES)
def test_a_bad_rate_stops_start_up_naming_the_setting(name):
    result = _import_settings(DEBUG="1", **{name: "600/5sec"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


@pytest.mark.parametrize(
    "raw", ["600/5sec", "600", "/5s", "600/", "0/1s", "5/0s", "1.5/1s", "10/1w", "ten/1s", "-1/1s"]
)
def test_rates_are_checked_like_every_other_setting(monkeypatch, raw):
    monkeypatch.setenv("X_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match="X_RATE"):
        env_rate("X_RATE", "1/1s")


def test_good_rates_are_kept_and_mean_what_they_say(monkeypatch):
    monkeypatch.setenv("X_RATE", " 300/5s ")
    assert env_rate("X_RATE", "1/1s") == "300/5s"
    assert parse_rate("300/5s") == (300, 5)
    assert parse_rate("10/m") == (10, 60)
    assert parse_rate("2/3h") == (2, 3 * 3600)
    monkeypatch.setenv("X_RATE", "")
    assert env_rate("X_RATE", "10/1m") == "10/1m"  # empty means the default, as for integers
    monkeypatch.delenv("X_RATE")
    assert env_rate("X_RATE", "10/1m") == "10/1m"


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL must be a URL"),
        ("METRICS_ALLOW", "10.0.0.0/8,intranet", "'intranet' is not an IP address"),
        ("PROMETHEUS_MULTIPROC_DIR", "/nonexistent/prometheus", "not an existing directory"),
        ("DATABASE_REPLICA_URLS", "sqlite:///replica.db", "must be PostgreSQL standbys"),
        ("CALLS_RETENTION_DAYS", "0", "CALLS_RETENTION_DAYS must be >= 1"),
        ("CALLS_RETENTION_DAYS", "90d", "CALLS_RETENTION_DAYS must be an integer"),
        ("COUNT_PARALLEL_WORKERS", "5000", "COUNT_PARALLEL_WORKERS must be <= 1024"),
        ("COUNT_BUDGET_SLOTS", "300", "COUNT_BUDGET_SLOTS must be <= 255"),
    ],
)
def test_scale_settings_stop_start_up_when_wrong(name, raw, message):
    result = _import_settings(DEBUG="1", **{name: raw})
    assert result.returncode != 0
    assert message in result.stderr


def test_scale_settings_mean_what_they_say(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "rediss://cache.internal:6380/2")
    monkeypatch.setenv("METRICS_ALLOW", "10.0.0.0/8, 192.0.2.7,::1")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert env_url("REDIS_URL", {"redis", "rediss"}) == "rediss://cache.internal:6380/2"
    assert [str(n) for n in env_networks("METRICS_ALLOW")] == [
        "10.0.0.0/8", "192.0.2.7/32", "::1/128",
    ]  # fmt: skip
    assert env_directory("PROMETHEUS_MULTIPROC_DIR") == str(tmp_path)
    monkeypatch.delenv("REDIS_URL")
    assert env_url("REDIS_URL", {"redis"}) == ""


def test_replicas_become_databases_that_are_read_but_never_written_or_migrated():
    code = (
        "import cdrapi.settings as s; from cdrapi.replicas import ReplicaRouter as R; "
        "print(s.DATABASE_REPLICAS, s.DATABASES['replica_1']['HOST'], "
        "R().db_for_write(None), R().db_for_read(None), R().allow_migrate('replica_0', 'calls'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(
        DEBUG="1",
        DATABASE_URL="postgres://u@primary:5432/cdr",
        DATABASE_REPLICA_URLS="postgres://u@standby-a:5432/cdr, postgres://u@standby-b:5432/cdr",
        DJANGO_SETTINGS_MODULE="cdrapi.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "['replica_0',", "'replica_1']", "standby-b", "default", "default", "False",
    ]  # fmt: skip


@pytest.mark.parametrize("debug", ["0", "1"])
def test_a_log_line_is_written_once_with_debug_on_or_off(debug):
    # Django's default logging adds its own console handler under DEBUG; root has one too.
    code = ("import django; django.setup(); import logging; "
            "logging.getLogger('django.request').warning('Not Found: /x')")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_SETTINGS_MODULE="cdrapi.settings", DEBUG=debug, SECRET_KEY="k" * 50,
               ALLOWED_HOSTS="localhost", CDRAPI_ENV_FILE="")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["Not Found: /x"]


def test_a_database_url_may_name_several_hosts_for_libpq_to_try():
    """libpq's multi-host form (docs/production.md, "Failover"), which dj-database-url
    refuses: HOST and PORT become libpq's lists; a list of replica URLs still splits at
    each scheme, not at every comma."""
    code = (
        "import cdrapi.settings as s; d = s.DATABASES; "
        "print(d['default']['HOST'], d['default']['PORT'], d['default']['NAME'], "
        "d['default']['OPTIONS']['target_session_attrs'], s.DATABASE_REPLICAS, "
        "d['replica_0']['HOST'], repr(d['replica_0']['PORT']), d['replica_1']['HOST'], sep='|')"
    )
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(
        DEBUG="1",
        DATABASE_URL="postgres://u:p@db1:5432,db2:6432/cdr?target_session_attrs=read-write",
        DATABASE_REPLICA_URLS="postgres://u@db1,db2/cdr?target_session_attrs=prefer-standby,"
        "postgres://u@[::1]:5433/cdr",
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "db1,db2", "5432,6432", "cdr", "read-write", "['replica_0', 'replica_1']",
        "db1,db2", "''", "::1",
    ]  # fmt: skip
    env["DATABASE_URL"] = "postgres://u@db1:x,db2/cdr"
    bad = subprocess.run([sys.executable, "-c", "import cdrapi.settings"], env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert "DATABASE_URL must be a URL like" in bad.stderr
