"""The rate tables in the admin, for staff with and without the rate permissions."""

from decimal import Decimal

import pytest

from calls.models import Rate
from tests.admin_users import staff_client
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
LIST = "/admin/calls/rate/"
ADD = "/admin/calls/rate/add/"


@pytest.fixture
def rates():
    account = AccountFactory()
    return [
        Rate.objects.create(
            account=None, direction="outbound", prefix="1", rate=Decimal("0.02"),
            first_interval=60, next_interval=60,
        ),
        Rate.objects.create(
            account=account, direction="inbound", prefix="1800", rate=Decimal("0.01"),
            first_interval=30, next_interval=6,
        ),
    ]  # fmt: skip


def test_staff_without_rate_permissions_get_403(rates):
    client = staff_client()
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{rates[0].pk}/change/").status_code == 403


def test_view_permission_lists_rates_but_offers_no_edit(rates):
    client = staff_client("calls.view_rate")
    page = client.get(LIST)
    assert page.status_code == 200
    body = page.content.decode()
    assert "default (every account)" in body and rates[1].account.auth_id in body
    assert "30/6" in body and "60/60" in body
    assert client.get(ADD).status_code == 403
    response = client.post(
        f"{LIST}{rates[0].pk}/change/",
        {"direction": "outbound", "prefix": "1", "rate": "9", "increment": "1/1"},
    )
    assert response.status_code == 403
    assert Rate.objects.get(pk=rates[0].pk).rate == Decimal("0.02")


def test_add_permission_creates_a_rate_with_an_increment_written_as_carriers_do(rates):
    client = staff_client("calls.view_rate", "calls.add_rate")
    response = client.post(
        ADD, {"direction": "outbound", "prefix": "+44", "rate": "0.015", "increment": "30/6"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    made = Rate.objects.get(prefix="44")
    assert (made.account, made.rate, made.first_interval, made.next_interval) == (
        None,
        Decimal("0.015"),
        30,
        6,
    )


def test_a_bad_increment_or_a_duplicate_key_is_refused_on_the_form(rates):
    client = staff_client("calls.view_rate", "calls.add_rate")
    bad = client.post(ADD, {"direction": "outbound", "prefix": "44", "rate": "1", "increment": "6"})
    assert bad.status_code == 200
    assert "is not first/next in seconds" in bad.content.decode()
    again = client.post(
        ADD, {"direction": "outbound", "prefix": "1", "rate": "1", "increment": "60/60"}
    )
    assert again.status_code == 200
    assert Rate.objects.filter(account=None, prefix="1").count() == 1


def test_change_permission_edits_a_rate(rates):
    client = staff_client("calls.view_rate", "calls.change_rate")
    page = client.get(f"{LIST}{rates[1].pk}/change/")
    assert 'value="30/6"' in page.content.decode()
    response = client.post(
        f"{LIST}{rates[1].pk}/change/",
        {
            "account": rates[1].account_id,
            "direction": "inbound",
            "prefix": "1800",
            "rate": "0.011",
            "increment": "1/1",
        },
    )
    assert response.status_code == 302
    changed = Rate.objects.get(pk=rates[1].pk)
    assert (changed.rate, changed.increment) == (Decimal("0.011"), "1/1")


def test_search_by_prefix_and_by_auth_id(rates):
    client = staff_client("calls.view_rate")
    by_prefix = client.get(LIST, {"q": "18"}).content.decode()
    assert "1800" in by_prefix and "default (every account)" not in by_prefix
    by_account = client.get(LIST, {"q": rates[1].account.auth_id}).content.decode()
    assert "1800" in by_account
