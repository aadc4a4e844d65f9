"""Admin login limits: per user name and address (django-axes) and per address alone."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
PASSWORD = "the-right-password-1"


@pytest.fixture
def ops(db):
    return User.objects.create_superuser("ops", "ops@example.com", PASSWORD)


@pytest.fixture
def address_limit(settings):
    settings.ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT = 2 * settings.AXES_FAILURE_LIMIT
    return settings.ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT


def _fail(client: Client, username: str) -> int:
    return client.post(LOGIN, {"username": username, "password": "wrong"}).status_code


def test_spraying_user_names_from_one_address_locks_that_address(ops, address_limit):
    sprayer = Client(REMOTE_ADDR="198.51.100.7")
    for i in range(address_limit - 1):
        assert _fail(sprayer, f"guess{i}") == 200  # each name fails once: no per-name lockout
    assert _fail(sprayer, "one-more") == 429
    right = sprayer.post(LOGIN, {"username": "ops", "password": PASSWORD})
    assert right.status_code == 429  # the whole address waits out the cool-off
    elsewhere = Client(REMOTE_ADDR="203.0.113.50")
    assert elsewhere.post(LOGIN, {"username": "ops", "password": PASSWORD}).status_code == 302


def test_failures_below_the_address_limit_lock_nobody_out(ops, address_limit):
    client = Client(REMOTE_ADDR="198.51.100.8")
    for i in range(address_limit - 2):
        assert _fail(client, f"typo{i}") == 200
    assert client.post(LOGIN, {"username": "ops", "password": PASSWORD}).status_code == 302


def test_a_malformed_forwarded_address_is_a_login_form_not_a_500(ops):
    client = Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="not-an-address, <x>")
    assert _fail(client, "ops") == 200
    assert client.post(LOGIN, {"username": "ops", "password": PASSWORD}).status_code == 302
