"""Pagination links never carry the request's Host header, which any client can forge:
relative paths, or the configured PUBLIC_BASE_URL."""

from datetime import timedelta

import pytest
from django.test import Client

from tests.api.conftest import NOW, basic
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
FORGED = {"HTTP_HOST": "evil.example", "HTTP_X_FORWARDED_HOST": "evil.example"}


@pytest.fixture
def three(frozen, main_account):
    return [
        CallFactory(account=main_account, end_time=NOW - timedelta(hours=i + 1)) for i in range(3)
    ]


@pytest.fixture
def forged_hosts_allowed(settings):
    settings.ALLOWED_HOSTS = ["*"]  # the worst case: a deployment that trusts every Host


def _carrierx(account, bearer, **params):
    _, secret = bearer(account)
    return Client().get(
        "/core/v2/calls/call_drs", params, HTTP_AUTHORIZATION=f"Bearer {secret}", **FORGED
    )


def test_plivo_links_are_relative_whatever_the_host(three, main_account, forged_hosts_allowed):
    url = f"/v1/Account/{main_account.auth_id}/Zentrunk/Call/"
    response = Client().get(url, {"limit": 1, "offset": 1}, **basic(main_account), **FORGED)
    meta = response.json()["meta"]
    assert meta["next"].startswith(url + "?") and meta["previous"].startswith(url + "?")


def test_carrierx_links_are_relative_by_default(three, main_account, bearer, forged_hosts_allowed):
    pagination = _carrierx(main_account, bearer, limit=1, offset=1).json()["pagination"]
    assert pagination["next"].startswith("/core/v2/calls/call_drs?")
    assert pagination["previous"].startswith("/core/v2/calls/call_drs?")
    assert "evil" not in str(pagination)


def test_carrierx_links_use_the_configured_origin(
    three, main_account, bearer, forged_hosts_allowed, settings
):
    settings.PUBLIC_BASE_URL = "https://cdr.example.com"
    pagination = _carrierx(main_account, bearer, limit=1).json()["pagination"]
    assert pagination["next"].startswith("https://cdr.example.com/core/v2/calls/call_drs?")
