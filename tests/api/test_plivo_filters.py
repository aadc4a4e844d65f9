"""Which calls each Plivo filter finds, and every boundary of the window, table-driven
(what each parameter takes and refuses: tests/api/test_plivo_parameters.py)."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from calls.models import Call
from calls.plivo.conditions import FILTERSETS
from calls.vocabulary.choices import VOICE, ZENTRUNK
from tests.api.conftest import NOW, uuids
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture
def calls(frozen, main_account):
    """Five calls with distinct values; names are what the table below expects."""
    made = {
        "recent": CallFactory(
            account=main_account,
            end_time=NOW - 2 * H,
            bill_duration=0,
            answer_time=None,
            call_direction="inbound",
            from_number="+14155550100",
            to_number="442071234567",
            hangup_cause_code=3000,
            hangup_source="carrier",
            stir_verification="Not Applicable",
        ),
        "yesterday": CallFactory(
            account=main_account,
            end_time=NOW - D,
            bill_duration=60,
            call_direction="outbound",
            from_number="14155550199",
            to_number="+12125550100",
            hangup_cause_code=4000,
            hangup_source="customer",
            stir_verification="Verified",
        ),
        "two_days": CallFactory(
            account=main_account,
            end_time=NOW - 2 * D,
            bill_duration=61,
            call_direction="outbound",
            from_number="+442079460000",
            to_number="sip:alice@example.com",
            hangup_cause_code=4000,
            hangup_source="zentrunk",
            stir_verification="Not Verified",
        ),
        "ten_days": CallFactory(account=main_account, end_time=NOW - 10 * D, bill_duration=5),
        "expired": CallFactory(account=main_account, end_time=NOW - 92 * D, bill_duration=5),
    }
    made["two_days"].parent_call_uuid = made["yesterday"].call_uuid
    made["two_days"].save()
    return made


def _ts(delta: timedelta) -> str:
    return (NOW - delta).strftime("%Y-%m-%d %H:%M:%S")


CASES = [
    ({}, ["recent", "yesterday", "two_days"]),
    ({"from_number": "1415"}, ["recent", "yesterday"]),
    ({"from_number": "+1415"}, ["recent", "yesterday"]),
    ({"from_number": "14155550100"}, ["recent"]),
    ({"from_number": "+14155550199"}, ["yesterday"]),
    ({"from_number": "4420794"}, ["two_days"]),
    ({"from_number": "9"}, []),
    ({"to_number": "44"}, ["recent"]),
    ({"to_number": "+1212"}, ["yesterday"]),
    ({"to_number": "alice"}, ["two_days"]),
    ({"to_number": "ali"}, ["two_days"]),
    ({"call_direction": "inbound"}, ["recent"]),
    ({"call_direction": "outbound"}, ["yesterday", "two_days"]),
    ({"bill_duration": "60"}, ["yesterday"]),
    ({"bill_duration__gt": "60"}, ["two_days"]),
    ({"bill_duration__gte": "60"}, ["yesterday", "two_days"]),
    ({"bill_duration__lt": "60"}, ["recent"]),
    ({"bill_duration__lte": "60"}, ["recent", "yesterday"]),
    ({"bill_duration__gte": "1", "bill_duration__lte": "60"}, ["yesterday"]),
    ({"hangup_cause_code": "4000"}, ["yesterday", "two_days"]),
    ({"hangup_cause_code": "3000"}, ["recent"]),
    ({"hangup_cause_code": "1"}, []),
    # The integer filters' edges are their columns' (past them: 400, BAD below), so each
    # is a plain comparison, with its total (no 500 as on the CarrierX face's version).
    ({"hangup_cause_code": "-2147483647"}, []),
    ({"hangup_cause_code": "2147483647"}, []),
    ({"bill_duration__lt": "0"}, []),
    ({"bill_duration__gte": "0"}, ["recent", "yesterday", "two_days"]),
    ({"bill_duration__gt": "2147483647"}, []),
    ({"hangup_source": "carrier"}, ["recent"]),
    ({"hangup_source": "zentrunk"}, ["two_days"]),
    ({"stir_verification": "Verified"}, ["yesterday"]),
    ({"stir_verification": "Not Verified"}, ["two_days"]),
    ({"stir_verification": "Not Applicable"}, ["recent"]),
    ({"end_time": _ts(D)}, ["yesterday"]),
    ({"end_time__gte": _ts(D)}, ["recent", "yesterday"]),
    ({"end_time__gt": _ts(D)}, ["recent"]),
    ({"end_time__lte": _ts(D)}, ["yesterday", "two_days"]),
    ({"end_time__lt": _ts(D)}, ["two_days"]),
    ({"end_time__gte": _ts(D), "end_time__lte": _ts(D)}, ["yesterday"]),
    ({"end_time__gt": _ts(D), "end_time__lt": _ts(D)}, []),
    ({"end_time__gte": _ts(11 * D)}, ["recent", "yesterday", "two_days", "ten_days"]),
    ({"end_time__lte": _ts(9 * D)}, ["ten_days"]),
    ({"end_time__gte": _ts(D).replace(" ", "T")}, ["recent", "yesterday"]),
    ({"end_time__gte": (NOW - D).strftime("%Y-%m-%d %H:%M")}, ["recent", "yesterday"]),
    ({"end_time__gt": (NOW - D).strftime("%Y-%m-%d %H:%M:%S.000001")}, ["recent"]),
    ({"end_time__gte": _ts(95 * D), "end_time__lte": _ts(70 * D)}, []),
    ({"call_direction": "outbound", "bill_duration__gt": "60", "from_number": "44"}, ["two_days"]),
    ({"limit": "1"}, ["recent"]),
    ({"limit": "2", "offset": "1"}, ["yesterday", "two_days"]),
    ({"offset": "3"}, []),
]


@pytest.mark.parametrize(("params", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_each_filter_returns_exactly_the_matching_calls(
    plivo, main_account, calls, params, expected
):
    response = plivo(main_account, **params)
    assert uuids(response) == [str(calls[name].call_uuid) for name in expected]


def test_parent_call_uuid_finds_the_child_leg(plivo, main_account, calls):
    response = plivo(main_account, parent_call_uuid=str(calls["yesterday"].call_uuid))
    assert uuids(response) == [str(calls["two_days"].call_uuid)]


def test_the_filter_set_alone_finds_what_the_api_lists(main_account, calls):
    """The filters filter: a filter set's queryset (NetBox's `FilterSet(params, qs).qs`) is
    the list the API gives for the same parameters, without paging."""
    for params, expected in CASES:
        if {"limit", "offset"} & set(params):
            continue
        filterset = FILTERSETS[ZENTRUNK](QueryDict(urlencode(params)), Call.objects.all())
        assert filterset.is_valid(), filterset.errors
        found = filterset.qs.order_by("-end_time", "-call_uuid").values_list("call_uuid")
        assert [u for (u,) in found] == [calls[name].call_uuid for name in expected], params
    parent = str(calls["yesterday"].call_uuid)
    children = FILTERSETS[ZENTRUNK](QueryDict(f"parent_call_uuid={parent}"), Call.objects.all())
    assert list(children.qs) == [calls["two_days"]]
    voice = FILTERSETS[VOICE](QueryDict(""), Call.objects.all())
    assert list(voice.qs) == []  # the factory's calls are SIP-trunking calls


class TestWindowEdgesToTheSecond:
    def test_default_window_includes_exactly_seven_days_ago(self, plivo, main_account, frozen):
        edge = CallFactory(account=main_account, end_time=NOW - 7 * D)
        CallFactory(account=main_account, end_time=NOW - 7 * D - timedelta(seconds=1))
        future = CallFactory(account=main_account, end_time=NOW + timedelta(seconds=1))
        assert uuids(plivo(main_account)) == [str(edge.call_uuid)]
        assert str(future.call_uuid) not in uuids(plivo(main_account))

    def test_lone_upper_bound_reaches_seven_days_back(self, plivo, main_account, frozen):
        hi = NOW - 20 * D
        inside = CallFactory(account=main_account, end_time=hi - 7 * D)
        CallFactory(account=main_account, end_time=hi - 7 * D - timedelta(seconds=1))
        CallFactory(account=main_account, end_time=hi + timedelta(seconds=1))
        response = plivo(main_account, end_time__lte=hi.strftime("%Y-%m-%d %H:%M:%S"))
        assert uuids(response) == [str(inside.call_uuid)]

    def test_thirty_days_exactly_is_allowed_one_second_more_is_not(
        self, plivo, main_account, frozen
    ):
        assert plivo(main_account, end_time__gte=_ts(30 * D)).status_code == 200
        over = plivo(main_account, end_time__gte=_ts(30 * D + timedelta(seconds=1)))
        assert over.status_code == 400
        assert "30 days" in over.json()["error"]

    def test_retention_line_to_the_second(self, plivo, main_account, frozen):
        line = NOW - 90 * D
        kept = CallFactory(account=main_account, end_time=line)
        CallFactory(account=main_account, end_time=line - timedelta(seconds=1))
        at_line = plivo(main_account, end_time__lte=line.strftime("%Y-%m-%d %H:%M:%S"))
        assert uuids(at_line) == [str(kept.call_uuid)]
        straddling = plivo(main_account, end_time__gte=_ts(95 * D), end_time__lte=_ts(70 * D))
        assert uuids(straddling) == [str(kept.call_uuid)]
        before = plivo(main_account, end_time__lt=line.strftime("%Y-%m-%d %H:%M:%S"))
        assert before.status_code == 400
        assert "90 days" in before.json()["error"]

    def test_retrieve_also_stops_at_ninety_days(self, plivo, main_account, frozen):
        kept = CallFactory(account=main_account, end_time=NOW - 90 * D)
        gone = CallFactory(account=main_account, end_time=NOW - 90 * D - timedelta(seconds=1))
        assert plivo(main_account, uuid=kept.call_uuid).status_code == 200
        assert plivo(main_account, uuid=gone.call_uuid).status_code == 404
