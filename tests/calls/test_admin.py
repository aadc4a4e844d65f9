"""The Django admin: bounded, filtered, read-only CDR browsing and credential management."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from accounts.models import Account, BearerToken
from accounts.services import token_lookup
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/calls/call/"


@pytest.fixture
def staff(db):
    user = User.objects.create_superuser("ops", "ops@example.com", "a-long-password-1")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def calls(main_account, other_account):
    now = timezone.now()
    made = {
        "in": CallFactory(
            account=main_account,
            call_direction="inbound",
            from_number="+14155550100",
            to_number="12125550000",
            end_time=now - timedelta(hours=2),
            hangup_cause_code=3000,  # Zentrunk: normal_hangup, by the carrier
            hangup_source="carrier",
        ),
        "out": CallFactory(
            account=main_account,
            product="voice",  # 4000 Normal Hangup by the Callee
            call_direction="outbound",
            from_number="12125550111",
            to_number="+442071234567",
            end_time=now - timedelta(days=2),
            stir_verification="Not Verified",
        ),
        "other": CallFactory(
            account=other_account,
            end_time=now - timedelta(days=3),
            from_number="+33144556677",
            to_number="+33155667788",
        ),
        "old": CallFactory(
            account=main_account, end_time=now - timedelta(days=10), from_number="+14155559999"
        ),
    }
    made["child"] = CallFactory(
        account=main_account,
        parent_call_uuid=made["out"].call_uuid,
        end_time=made["out"].end_time,
        from_number="+4930123456",
        to_number="+4930654321",
    )
    return made


def _listed(response) -> set[str]:
    assert response.status_code == 200
    return set(re.findall(r"/admin/calls/call/([0-9a-f-]{36})/change/", response.content.decode()))


def _ids(*calls) -> set[str]:
    return {str(c.call_uuid) for c in calls}


def test_changelist_shows_the_last_seven_days_newest_first(staff, calls):
    response = staff.get(CHANGELIST)
    assert _listed(response) == _ids(calls["in"], calls["out"], calls["other"], calls["child"])
    body = response.content.decode()
    assert body.index(str(calls["in"].call_uuid)) < body.index(str(calls["other"].call_uuid))
    # Each call's code reads in its own product's catalogue.
    assert "4000 Normal Hangup" in body  # the voice call
    assert "3000 normal_hangup" in body and "3010 normal_hangup" in body  # zentrunk ones
    assert "No Answer" not in body  # what 3000 means on Voice
    assert ">voice<" in body and ">zentrunk<" in body  # the product column
    assert _listed(staff.get(CHANGELIST, {"window": "30d"})) >= _ids(calls["old"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"call_direction": "inbound"}, ["in"]),
        ({"hangup_source": "carrier"}, ["in"]),
        ({"hangup_source": "Callee"}, ["out"]),
        ({"product__exact": "voice"}, ["out"]),
        ({"product__exact": "zentrunk"}, ["in", "other", "child"]),
        ({"product__exact": "zentrunk", "call_direction__exact": "outbound"}, ["other", "child"]),
        ({"stir_verification": "Not Verified"}, ["out"]),
        ({"account": "OTHER"}, ["other"]),
        ({"account": "MA000000000000000000"}, []),
        ({"q": "+1415"}, ["in"]),
        ({"q": "1212555"}, ["in", "out"]),
        ({"q": "44207"}, ["out"]),
        ({"q": "OUT_UUID"}, ["out"]),
        ({"window": "30d", "q": "1415555"}, ["in", "old"]),
        ({"since": "SINCE", "until": "UNTIL"}, ["out", "child"]),
    ],
)
def test_filters_and_search_narrow_the_list(staff, calls, other_account, params, expected):
    now = timezone.now()
    replacements = {
        "OTHER": other_account.auth_id,
        "OUT_UUID": str(calls["out"].call_uuid),
        "SINCE": (now - timedelta(days=2, hours=1)).strftime("%Y-%m-%d %H:%M"),
        "UNTIL": (now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
    }
    params = {k: replacements.get(v, v) for k, v in params.items()}
    assert _listed(staff.get(CHANGELIST, params)) == _ids(*(calls[n] for n in expected))


def test_the_changelist_runs_a_bounded_number_of_queries(
    staff, calls, django_assert_max_num_queries
):
    # session, user, capped count, page (accounts joined), and a little slack for the admin
    with django_assert_max_num_queries(6):
        assert staff.get(CHANGELIST).status_code == 200
    with django_assert_max_num_queries(7):  # + the account lookup
        assert staff.get(CHANGELIST, {"account": calls["in"].account.auth_id}).status_code == 200
    with django_assert_max_num_queries(6):  # the product and source filters query nothing
        params = {"product__exact": "voice", "hangup_source": "Callee"}
        assert staff.get(CHANGELIST, params).status_code == 200


def test_the_source_filter_offers_the_chosen_products_sources(staff, calls):
    def offered(params) -> set[str]:
        body = staff.get(CHANGELIST, params).content.decode()
        return set(re.findall(r"hangup_source=([A-Za-z+%0-9]+)", body))

    assert offered({"product__exact": "zentrunk"}) == {"customer", "carrier", "zentrunk"}
    voice = offered({"product__exact": "voice"})
    assert {"Caller", "Callee", "Plivo", "Carrier", "API+Request"} <= voice
    assert "customer" not in voice
    assert {"customer", "Caller"} <= offered({})  # no product chosen: every source


def test_detail_is_read_only_in_sections_with_account_and_leg_links(staff, calls):
    out = calls["out"]
    url = f"/admin/calls/call/{out.call_uuid}/change/"
    body = staff.get(url).content.decode()
    for section in ("Parties", "Timing", "Billing", "SIP and media", "STIR/SHAKEN",
                    "Call quality"):  # fmt: skip
        assert f">{section}<" in body
    assert ">SIP trunking<" not in body  # a voice call has no trunk
    assert "4000 Normal Hangup" in body and ">voice<" in body
    assert f"/admin/accounts/account/{out.account_id}/change/" in body
    assert f"child {calls['child'].call_uuid}" in body
    assert 'name="_save"' not in body
    child_body = staff.get(f"/admin/calls/call/{calls['child'].call_uuid}/change/").content
    assert f"parent {out.call_uuid}".encode() in child_body
    assert staff.post(url, {}).status_code == 403
    assert staff.get("/admin/calls/call/add/").status_code == 403


def test_export_streams_the_filtered_view_as_csv(staff, calls):
    response = staff.get("/admin/calls/call/export/", {"call_direction": "outbound"})
    assert response.status_code == 200 and response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["call_uuid"] for r in rows} == _ids(calls["out"], calls["other"], calls["child"])
    named = {r["call_uuid"]: (r["product"], r["hangup_cause_code"], r["hangup_cause_name"])
             for r in rows}  # fmt: skip
    assert named == {
        str(calls["out"].call_uuid): ("voice", "4000", "Normal Hangup"),
        str(calls["other"].call_uuid): ("zentrunk", "3010", "normal_hangup"),
        str(calls["child"].call_uuid): ("zentrunk", "3010", "normal_hangup"),
    }


def test_export_defuses_spreadsheet_formulas_but_keeps_numbers(staff, main_account):
    CallFactory(
        account=main_account,
        from_number='=HYPERLINK("http://x")',
        to_number="+SUM(1)",
        end_time=timezone.now() - timedelta(hours=1),
    )
    CallFactory(
        account=main_account,
        from_number="+14155550100",
        to_number="-12",
        end_time=timezone.now() - timedelta(hours=2),
    )
    response = staff.get("/admin/calls/call/export/")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["from_number"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["to_number"] == "'+SUM(1)"
    assert rows[1]["from_number"] == "+14155550100" and rows[1]["to_number"] == "-12"


def test_export_with_a_parameter_the_list_does_not_know_goes_back_to_the_list(staff, calls):
    response = staff.get("/admin/calls/call/export/", {"foo": "1"})
    assert response.status_code == 302 and response["Location"] == "/admin/calls/call/?e=1"


def test_export_refuses_more_than_thirty_days(staff, calls):
    response = staff.get("/admin/calls/call/export/", {"window": "90d"}, follow=True)
    assert "at most 30 days" in response.content.decode()


def test_chart_counts_calls_per_day_by_direction(staff, calls):
    from django.core.cache import cache

    cache.clear()
    response = staff.get("/admin/calls/call/chart/")
    assert response.status_code == 200
    days = response.context["days"]
    assert len(days) == 30
    assert sum(d["total"] for d in days) == 5
    assert sum(d["inbound"] for d in days) == 1
    assert (sum(d["voice"] for d in days), sum(d["zentrunk"] for d in days)) == (1, 4)
    body = response.content.decode()
    assert 'id="calls-chart"' in body and "1 voice, 1 zentrunk" in body  # out and its child leg
    voice = staff.get("/admin/calls/call/chart/", {"product": "voice"})
    assert sum(d["total"] for d in voice.context["days"]) == 1
    assert "Voice calls per day" in voice.content.decode()
    # The list's chart button keeps the product chosen there.
    listed = staff.get(CHANGELIST, {"product__exact": "voice"}).content.decode()
    assert "/admin/calls/call/chart/?product=voice" in listed


def test_a_detail_page_shows_a_trunk_calls_trunk_quality_and_countries(staff, main_account):
    call = CallFactory(
        account=main_account,
        end_time=timezone.now() - timedelta(hours=1),
        hangup_cause_code=4000,  # bad_request on Zentrunk
        hangup_source="zentrunk",
        trunk_domain="21784177241578.zt.plivo.com",
        transport_protocol="tls",
        srtp=True,
        from_country="US",
        to_country="GB",
        rtt=61.5,
        quality_score=4.2,
    )
    body = staff.get(f"/admin/calls/call/{call.call_uuid}/change/").content.decode()
    assert ">SIP trunking<" in body and "21784177241578.zt.plivo.com" in body
    assert "4000 bad_request" in body and "Normal Hangup" not in body
    for shown in (">zentrunk<", ">US<", ">GB<", ">tls<", "61.5", "4.2"):
        assert shown in body, shown


def test_the_hangup_cause_list_shows_both_catalogues(staff):
    body = staff.get("/admin/calls/hangupcause/", {"q": "3000"}).content.decode()
    assert "No Answer" in body and "normal_hangup" in body
    voice = staff.get("/admin/calls/hangupcause/", {"product__exact": "voice"}).content.decode()
    assert "Confirm Key Challenge Failed" in voice and "alloted_timeout" not in voice


def test_creating_an_account_shows_its_token_once_and_it_works(staff, main_account):
    response = staff.post(
        "/admin/accounts/account/add/",
        {
            "name": "Acme EU",
            "parent": main_account.pk,
            "timezone": "Europe/Paris",
            "is_active": "on",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
            "subaccounts-TOTAL_FORMS": "0",
            "subaccounts-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    body = response.content.decode()
    token = re.search(r"Auth token of (SA[A-Z0-9]{18}): <code>(\w{40})</code>", body)
    assert token, body[:2000]
    account = Account.objects.get(auth_id=token.group(1))
    assert account.parent == main_account and account.check_auth_token(token.group(2))
    again = staff.get(f"/admin/accounts/account/{account.pk}/change/").content.decode()
    assert token.group(2) not in again  # shown once


def test_rotating_an_auth_token_from_the_admin(staff, main_account):
    old = main_account.raw_auth_token
    response = staff.post(
        "/admin/accounts/account/",
        {"action": "rotate_auth_token", "_selected_action": [main_account.pk]},
        follow=True,
    )
    new = re.search(r"<code>(\w{40})</code>", response.content.decode()).group(1)
    main_account.refresh_from_db()
    assert main_account.check_auth_token(new) and not main_account.check_auth_token(old)


def test_issuing_and_revoking_a_bearer_token_from_the_admin(staff, main_account):
    response = staff.post(
        "/admin/accounts/bearertoken/add/",
        {
            "account": main_account.pk,
            "name": "billing export",
            "scopes": ["calls.read", "calls.read_descendant"],
        },
        follow=True,
    )
    secret = re.search(r"<code>([0-9a-f-]{36})</code>", response.content.decode()).group(1)
    token = token_lookup(secret)
    assert (
        token.scopes == ["calls.read", "calls.read_descendant"] and token.name == "billing export"
    )
    staff.post("/admin/accounts/bearertoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert token_lookup(secret) is None
    assert BearerToken.objects.get(pk=token.pk).revoked_at is not None


def test_admin_login_locks_out_after_repeated_failures(db):
    User.objects.create_superuser("ops", "ops@example.com", "the-right-password-1")
    client = Client()
    for _ in range(4):
        response = client.post("/admin/login/", {"username": "ops", "password": "wrong"})
        assert response.status_code == 200  # the form again, with an error
    fifth = client.post("/admin/login/", {"username": "ops", "password": "wrong"})
    assert fifth.status_code == 429
    locked = client.post("/admin/login/", {"username": "ops", "password": "the-right-password-1"})
    assert locked.status_code == 429  # even the right password, until the cool-off
    other = Client(REMOTE_ADDR="203.0.113.50")  # another address is not locked out
    ok = other.post("/admin/login/", {"username": "ops", "password": "the-right-password-1"})
    assert ok.status_code == 302
