"""Suite-wide fixtures and the rule that PostgreSQL tests never skip in CI's PostgreSQL run."""

import os
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

import cdrapi.settings
from tests.factories import AccountFactory, BearerTokenFactory, SubaccountFactory

EXPECT_POSTGRES = bool(os.environ.get("CDRAPI_EXPECT_POSTGRES"))
# What a deployment gets (5 s unless its environment says): tests/settings.py sets 0.
SHIPPED_CREDENTIAL_CACHE_SECONDS = cdrapi.settings.CREDENTIAL_CACHE_SECONDS
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    if EXPECT_POSTGRES and not on_postgres:
        raise pytest.UsageError(
            "make test runs on PostgreSQL, but DATABASE_URL points elsewhere: "
            f"{connection.vendor}. Start PostgreSQL or use make test-sqlite."
        )
    if on_postgres:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (partitions, EXPLAIN, COPY)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    """Under CI, a skipped test in the PostgreSQL run is a failure."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and EXPECT_POSTGRES and reporter and reporter.stats.get("skipped"):
        reporter.write_line(
            f"CI: {len(reporter.stats['skipped'])} test(s) skipped on PostgreSQL; failing.",
            red=True,
        )
        session.exitstatus = 1


@pytest.fixture
def served_database(django_db_setup):
    """The test database's URL, for servers and commands in other processes (tests/servers.py)
    to read and write. Such a test takes no `db` fixture: pytest-django runs it after every
    database test, and no flush has to undo what those processes committed (the test
    database is dropped at the end of the run)."""
    from tests.servers import database_url

    return database_url()


@pytest.fixture
def main_account(db):
    return AccountFactory(name="Main")


@pytest.fixture
def subaccount(main_account):
    return SubaccountFactory(parent=main_account, name="Sub")


@pytest.fixture
def other_account(db):
    return AccountFactory(name="Stranger")


@pytest.fixture
def bearer(db):
    """Make a token: bearer(account, scopes) -> (token row, secret)."""

    def make(account, scopes=("calls.read",), **kwargs):
        token = BearerTokenFactory(account=account, scopes=list(scopes), **kwargs)
        return token, token.raw_secret

    return make


@pytest.fixture(autouse=True)
def _close_live_server_connections(request):
    """A live server's request threads can leave a session open on the test database,
    which then cannot be dropped at the end of the run; end them after such a test."""
    yield
    if "live_server" not in request.fixturenames or connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached charts must not leak from one test into the next."""
    from django.core.cache import cache

    from calls.access import counters

    cache.clear()
    counters.reset()
    yield


@pytest.fixture
def shipped_credential_cache():
    """The credential cache with its shipped lifetime, on a clock that stands still (at a
    whole second) until the test moves it: (seconds, clock). A test shows the bound by
    moving the clock to just before it and to it, instead of sleeping."""
    from calls.access import credential_cache

    assert SHIPPED_CREDENTIAL_CACHE_SECONDS > 0, "CREDENTIAL_CACHE_SECONDS=0 in the environment"
    credential_cache.clear()
    start = datetime.now(UTC).replace(microsecond=0)
    with (
        override_settings(CREDENTIAL_CACHE_SECONDS=SHIPPED_CREDENTIAL_CACHE_SECONDS),
        time_machine.travel(start, tick=False) as clock,
    ):
        yield SHIPPED_CREDENTIAL_CACHE_SECONDS, clock
    credential_cache.clear()
