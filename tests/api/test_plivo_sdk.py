"""The official Plivo Python SDK, pointed at a live server, works unchanged."""

from datetime import UTC, datetime, timedelta

import plivo
import pytest
from plivo import exceptions
from plivo.rest import client as plivo_client

from tests.factories import CallFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def sdk(live_server, main_account, monkeypatch):
    base = f"{live_server.url}/v1/Account"
    for name in (
        "PLIVO_API_BASE_URI",
        "API_VOICE_BASE_URI",
        "API_VOICE_BASE_URI_FALLBACK_1",
        "API_VOICE_BASE_URI_FALLBACK_2",
    ):
        monkeypatch.setattr(plivo_client, name, base)
    return plivo.RestClient(main_account.auth_id, main_account.raw_auth_token)


@pytest.fixture
def recent(main_account, subaccount):
    now = datetime.now(UTC).replace(microsecond=0)
    calls = [
        CallFactory(
            account=main_account if i % 3 else subaccount,
            end_time=now - timedelta(minutes=13 * i + 1),
            call_direction="inbound" if i % 4 == 0 else "outbound",
            from_number=f"+1415555{i:04d}",
            hangup_cause_code=3000 if i % 5 == 0 else 4000,
            product="voice",  # the SDK's calls.* speak to /Call/, the Voice path
        )
        for i in range(45)
    ]
    CallFactory(account=main_account, end_time=now - timedelta(minutes=2))  # a trunk call
    return sorted(calls, key=lambda c: (c.end_time, c.call_uuid), reverse=True)


def test_list_get_and_iterate_all_pages(sdk, recent):
    page = sdk.calls.list(limit=5)
    assert [c.call_uuid for c in page] == [str(c.call_uuid) for c in recent[:5]]
    assert page.meta.total_count == 45

    one = sdk.calls.get(str(recent[3].call_uuid))
    assert one.call_uuid == str(recent[3].call_uuid)
    assert (
        one.hangup_cause_name
        == {3000: "No Answer", 4000: "Normal Hangup"}[recent[3].hangup_cause_code]
    )

    walked = [c.call_uuid for c in sdk.calls]  # follows meta.next (cursor) to the end
    assert walked == [str(c.call_uuid) for c in recent]


def test_each_filter_the_sdk_supports(sdk, recent, subaccount):
    def ids(**kwargs):
        return {c.call_uuid for c in sdk.calls.list(limit=20, **kwargs)}

    def expect(pred):
        return {str(c.call_uuid) for c in recent if pred(c)}

    assert ids(call_direction="inbound") == expect(lambda c: c.call_direction == "inbound")
    assert ids(from_number="+14155550001") == expect(lambda c: c.from_number == "+14155550001")
    assert ids(hangup_cause_code=3000, offset=0) == expect(lambda c: c.hangup_cause_code == 3000)
    assert ids(subaccount=subaccount.auth_id) == expect(lambda c: c.account_id == subaccount.pk)
    since = (recent[4].end_time).strftime("%Y-%m-%d %H:%M:%S")
    assert ids(end_time__gte=since) == {str(c.call_uuid) for c in recent[:5]}
    assert ids(end_time__gt=since) == {str(c.call_uuid) for c in recent[:4]}


def test_sdk_exceptions_carry_our_error_text(sdk, recent, main_account):
    with pytest.raises(exceptions.ValidationError, match="at most 30 days"):
        sdk.calls.list(end_time__gte="2026-01-01 00:00")
    with pytest.raises(exceptions.ResourceNotFoundError, match="No call with that call_uuid"):
        sdk.calls.get("00000000-0000-4000-8000-000000000000")
    bad = plivo.RestClient(main_account.auth_id, "x" * 40)
    # get(), not list(): the SDK's list() trips over its own ListResponseObject.__len__
    # on any 401/404 JSON body (see docs/plivo.md), whatever the server sends.
    with pytest.raises(exceptions.AuthenticationError, match="Authentication failed"):
        bad.calls.get(str(recent[0].call_uuid))
