"""A person's path through the admin, in a real headless Chromium (Debian's, via Playwright).

Skips with a reason where no Chromium is installed; .ci/run installs it, so under CI the
test runs. Screenshots land in var/screenshots/ as artifacts.
"""

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tests.factories import CallFactory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not CHROMIUM, reason="no Chromium installed (apt-get install chromium)"),
]


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # in between are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1900, "height": 900})
        yield page
        browser.close()


def test_an_operator_logs_in_filters_searches_and_opens_a_record(
    live_server, browser_page, main_account
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    User.objects.create_superuser("ops", "ops@example.com", "a-long-password-1")
    now = timezone.now()
    inbound = CallFactory(
        account=main_account,
        product="voice",  # 4000 Normal Hangup, by the Callee
        call_direction="inbound",
        from_number="+14155550123",
        to_number="12125550000",
        end_time=now - timedelta(hours=1),
        bill_duration=321,
    )
    CallFactory(
        account=main_account,
        call_direction="inbound",
        from_number="+33144556677",
        end_time=now - timedelta(hours=2),
    )
    for i in range(6):
        CallFactory(
            account=main_account, call_direction="outbound", end_time=now - timedelta(hours=3 + i)
        )
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/calls/call/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "a-long-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("#result_list")
    page.screenshot(path=str(SHOTS / "changelist.png"), full_page=True)
    assert page.locator("#result_list tbody tr").count() == 8

    page.click("#changelist-filter a:text-is('voice')")
    page.wait_for_url("**product__exact=voice**")
    assert page.locator("#result_list tbody tr").count() == 1
    page.click("#changelist-filter a:text-is('zentrunk')")
    page.wait_for_url("**product__exact=zentrunk**")
    assert page.locator("#result_list tbody tr").count() == 7
    page.goto(f"{live_server.url}/admin/calls/call/")

    page.click("#changelist-filter a:text-is('inbound')")
    page.wait_for_url("**call_direction__exact=inbound**")
    assert page.locator("#result_list tbody tr").count() == 2

    page.fill("#searchbar", "+1415555")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**q=**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "+14155550123" in rows.first.inner_text()

    rows.first.locator("th a, td a").first.click()
    page.wait_for_selector("text=Parties")
    text = page.inner_text("#content")
    for expected in (
        str(inbound.call_uuid),
        "+14155550123",
        "Timing",
        "Billing",
        "STIR/SHAKEN",
        "4000 Normal Hangup",
        "voice",
        "321",
    ):
        assert expected in text
    assert "SIP trunking" not in text  # a voice call has no trunk
    page.screenshot(path=str(SHOTS / "detail.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/calls/call/chart/")
    page.wait_for_selector("#calls-chart")
    page.screenshot(path=str(SHOTS / "chart.png"), full_page=True)
    assert os.path.getsize(SHOTS / "chart.png") > 10_000
