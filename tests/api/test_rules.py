"""Each rule the schema cannot state (calls/query/rules.py) is what the server really answers.

The fuzz test excuses a refused schema-valid request only by these rules' messages, so each
one is provoked here and its answer must match the rule exactly; a rule no request can
break, or a message that drifted from its rule, fails.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.test import Client, override_settings

from calls.query import rules
from tests.api.conftest import NOW, basic
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
CX = "/core/v2/calls/call_drs"


def _message(response) -> str:
    body = response.json()
    return body["error"] if "error" in body else body["errors"][0]["message"]


def _assert_breaks(response, rule: rules.Rule) -> None:
    assert response.status_code == rule.status, response.content
    assert rule.matches(_message(response)), _message(response)
    assert rules.broken_by(response.status_code, _message(response)) is rule


@pytest.fixture
def call(frozen, main_account):
    return CallFactory(account=main_account, end_time=NOW - timedelta(hours=1))


@pytest.fixture
def cx(main_account, bearer):
    _, secret = bearer(main_account)

    def get(path="", **params):
        return Client().get(CX + path, params, HTTP_AUTHORIZATION=f"Bearer {secret}")

    return get


def _cursor(plivo, account, **params) -> str:
    link = plivo(account, limit="1", **params).json()["meta"]["next"]
    return parse_qs(urlparse(link).query)["cursor"][0]


@pytest.fixture
def two_calls(frozen, main_account):
    return [CallFactory(account=main_account, end_time=NOW - timedelta(hours=h)) for h in (1, 2)]


@pytest.mark.parametrize(
    ("params", "rule"),
    [
        ({"end_time__lte": "2026-01-01 00:00"}, rules.WINDOW_BEFORE_RETENTION),
        ({"end_time__gte": "2026-12-01 00:00"}, rules.WINDOW_IN_FUTURE),
        ({"end_time__gte": "2026-11-10 00:00", "end_time__lte": "2026-11-09 00:00"},
         rules.WINDOW_REVERSED),
        ({"end_time__gte": "2026-10-01 00:00"}, rules.WINDOW_TOO_WIDE),
    ],
)  # fmt: skip
def test_each_window_rule_is_what_the_plivo_face_says(plivo, main_account, frozen, params, rule):
    _assert_breaks(plivo(main_account, **params), rule)


def test_each_cursor_rule_is_what_the_plivo_face_says(plivo, main_account, two_calls):
    cursor = _cursor(plivo, main_account)
    _assert_breaks(plivo(main_account, cursor=cursor[:-2] + "xx"), rules.CURSOR_ALTERED)
    _assert_breaks(plivo(main_account, cursor="x"), rules.CURSOR_ALTERED)
    other = plivo(main_account, cursor=cursor, call_direction="inbound")
    _assert_breaks(other, rules.CURSOR_OTHER_QUERY)
    _assert_breaks(plivo(main_account, cursor=cursor, offset="7"), rules.CURSOR_OFFSET)
    with time_machine.travel(NOW + timedelta(hours=25), tick=False):
        _assert_breaks(plivo(main_account, cursor=cursor), rules.CURSOR_EXPIRED)


def test_only_a_main_account_filters_by_subaccount(plivo, subaccount, frozen):
    response = plivo(subaccount, subaccount=subaccount.auth_id)
    _assert_breaks(response, rules.SUBACCOUNT_CALLER)


def test_the_repeated_call_uuid_must_be_the_paths(plivo, main_account, call):
    path = str(call.call_uuid)
    assert plivo(main_account, uuid=path, call_uuid=path.upper()).status_code == 200
    other = plivo(main_account, uuid=path, call_uuid="0" * 32)
    _assert_breaks(other, rules.CALL_UUID_MISMATCH)


def test_each_keyset_rule_is_what_the_carrierx_face_says(cx, call, other_account):
    sid = str(call.call_uuid)
    _assert_breaks(cx(after=sid, before=sid), rules.AFTER_AND_BEFORE)
    _assert_breaks(cx(after=sid, offset="3"), rules.OFFSET_WITH_KEYSET)
    assert cx(after=sid, offset="0").status_code == 200
    _assert_breaks(cx(before=sid, order="price asc"), rules.ORDER_WITH_KEYSET)
    stranger = str(CallFactory(account=other_account).call_uuid)
    _assert_breaks(cx(after=stranger), rules.KEYSET_NOT_VISIBLE)


@pytest.mark.parametrize(
    ("flt", "rule"),
    [
        ("date_stop lt 2026-01-01T00:00:00.000Z", rules.FILTER_BEFORE_RETENTION),
        ("date_stop ge 2026-09-01T00:00 and date_stop le 2026-11-01T00:00", rules.FILTER_TOO_WIDE),
    ],
)
def test_each_date_stop_rule_is_what_the_carrierx_face_says(cx, frozen, flt, rule):
    _assert_breaks(cx(filter=flt), rule)


@override_settings(MAX_QUERY_STRING_BYTES=256)
@pytest.mark.parametrize("face", ["plivo", "carrierx"])
def test_an_oversized_query_is_what_both_faces_say(main_account, face):
    url = CX if face == "carrierx" else f"/v1/Account/{main_account.auth_id}/Call/"
    response = Client().get(url, {"to_number": "1" * 300}, **basic(main_account))
    _assert_breaks(response, rules.QUERY_TOO_LONG)


def test_every_rule_is_provoked_above():
    provoked = {
        rules.WINDOW_BEFORE_RETENTION, rules.WINDOW_IN_FUTURE, rules.WINDOW_REVERSED,
        rules.WINDOW_TOO_WIDE, rules.CURSOR_ALTERED, rules.CURSOR_OTHER_QUERY,
        rules.CURSOR_OFFSET, rules.CURSOR_EXPIRED, rules.SUBACCOUNT_CALLER,
        rules.CALL_UUID_MISMATCH, rules.AFTER_AND_BEFORE, rules.OFFSET_WITH_KEYSET,
        rules.ORDER_WITH_KEYSET, rules.KEYSET_NOT_VISIBLE, rules.FILTER_BEFORE_RETENTION,
        rules.FILTER_TOO_WIDE, rules.QUERY_TOO_LONG,
    }  # fmt: skip
    assert provoked == set(rules.ALL)


def test_a_message_matches_its_rule_only_as_a_whole():
    rule = rules.KEYSET_NOT_VISIBLE
    assert rule.matches("No visible CDR has the dr_sid given as after.")
    assert not rule.matches("No visible CDR has the dr_sid given as after. And more.")
    assert not rule.matches("Invalid limit: expected a whole number from 1 to 5.")
    assert rules.broken_by(400, "Invalid limit: expected a whole number from 1 to 5.") is None
    assert rules.broken_by(414, rule.format(param="after")) is None  # wrong status
