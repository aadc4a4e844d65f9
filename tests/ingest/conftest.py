import pytest


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker):
    """(port, Tenant): gunicorn serving the test database, and an account to write with."""
    from tests.ingest.live import new_tenant
    from tests.servers import database_url, gunicorn

    with django_db_blocker.unblock():
        tenant = new_tenant(database_url())
        with gunicorn(workers=2) as server:
            yield server.port, tenant
