"""The fast paths of issue 14 answer exactly what the plain ones do.

- The credential cache, with its shipped lifetime (CREDENTIAL_CACHE_SECONDS, 5 s): a
  repeated credential costs no query, and a revoked one works until the lifetime has
  passed since it was checked, and not a moment longer (on a clock the test moves).
- Count and page in one statement: the total equals a plain COUNT for any filter mix
  (index-only counting, the hourly counts), the page equals a plain ordered query.
- A page statement compiled once per shape (calls/query/statements.py) follows the clock:
  the next request of the same shape reads its own window and retention line.
- The orjson renderer writes the bytes DRF's JSONRenderer writes; the JSON-only
  negotiation chooses what DRF's chooses.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.services import (
    account_deactivate,
    account_rotate_auth_token,
    token_create,
    token_revoke,
)
from calls.models import Call
from calls.query import statements
from calls.query.render import FastJSONRenderer, JSONOnlyNegotiation
from tests.api.conftest import NOW, basic, uuids
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def _list(account, token=None):
    return Client().get(f"/v1/Account/{account.auth_id}/Zentrunk/Call/", **basic(account, token))


def _cx(secret: str):
    return Client().get("/core/v2/calls/call_drs", HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_cached_credential_costs_no_query(
    shipped_credential_cache, main_account, subaccount, django_assert_num_queries
):
    CallFactory.create_batch(3, account=subaccount)
    assert len(uuids(_list(main_account))) == 3
    # Credential and account tree remembered: the count and the page are one statement
    # on PostgreSQL, two elsewhere.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        assert len(uuids(_list(main_account))) == 3


def test_a_rotated_auth_token_works_for_the_lifetime_and_not_a_moment_longer(
    shipped_credential_cache, main_account
):
    seconds, clock = shipped_credential_cache
    old = main_account.raw_auth_token
    assert _list(main_account, old).status_code == 200  # checked now: remembered
    new = account_rotate_auth_token(account=main_account)
    assert _list(main_account, new).status_code == 200  # a header never seen: checked
    clock.shift(seconds - 0.001)
    assert _list(main_account, old).status_code == 200  # still remembered by this worker
    clock.shift(0.001)
    assert _list(main_account, old).status_code == 401  # CREDENTIAL_CACHE_SECONDS after
    assert _list(main_account, new).status_code == 200


def test_a_deactivated_account_works_for_the_lifetime_and_not_a_moment_longer(
    shipped_credential_cache, main_account
):
    seconds, clock = shipped_credential_cache
    assert _list(main_account).status_code == 200
    account_deactivate(account=main_account)
    clock.shift(seconds - 0.001)
    assert _list(main_account).status_code == 200
    clock.shift(0.001)
    assert _list(main_account).status_code == 401


def test_a_revoked_bearer_token_works_for_the_lifetime_and_not_a_moment_longer(
    shipped_credential_cache, main_account
):
    seconds, clock = shipped_credential_cache
    made = token_create(account=main_account, scopes=["calls.read"], name="t")
    assert _cx(made.secret).status_code == 200
    token_revoke(token=made.token)
    clock.shift(seconds - 0.001)
    assert _cx(made.secret).status_code == 200
    clock.shift(0.001)
    assert _cx(made.secret).status_code == 401


def test_a_wrong_token_is_never_remembered(shipped_credential_cache, main_account):
    assert _list(main_account, "x" * 40).status_code == 401
    assert _list(main_account).status_code == 200
    assert _list(main_account, "x" * 40).status_code == 401


@pytest.mark.parametrize("header", ["Bearer \ud800", "Bearer \udcff", "Basic \ud800"])
def test_a_header_of_any_characters_is_looked_up_and_refused(shipped_credential_cache, header):
    """The cache's key is the header's bytes whatever it holds: a lone surrogate was a 500
    whenever the cache was on (tests/api/test_malformed_requests.py runs with it off)."""
    for url in ("/core/v2/calls/call_drs", "/v1/Account/MA0000000000000000AA/Call/"):
        assert Client().get(url, HTTP_AUTHORIZATION=header).status_code == 401


# ---- exact totals on every counting path

DIRECTIONS = ("inbound", "outbound")
SOURCES = ("customer", "carrier", "zentrunk")
CAUSES = (3010, 3000, 4410)
STIRS = ("Verified", "Not Verified", "Not Applicable")


@pytest.fixture
def mixed_calls(frozen, main_account, subaccount, other_account):
    made = []
    for i in range(90):
        made.append(
            CallFactory(
                account=(main_account, subaccount)[i % 2],
                end_time=NOW - timedelta(hours=i * 3 + (i % 4), seconds=i % 7),
                call_direction=DIRECTIONS[i % 2],
                bill_duration=(0, 30, 60, 61, 300, 900)[i % 6],
                hangup_cause_code=CAUSES[i % 3],
                hangup_source=SOURCES[(i // 3) % 3],
                stir_verification=STIRS[(i // 2) % 3],
                from_number=f"+1{(i * 37) % 10}415555{i:04d}",
                to_number=f"44{i % 3}0555{i:04d}",
            )
        )
        CallFactory(account=other_account, end_time=NOW - timedelta(hours=i))
    return made


FILTERS = {
    "call_direction": st.sampled_from(DIRECTIONS),
    "bill_duration": st.sampled_from([0, 60, 61]),
    "bill_duration__gt": st.sampled_from([0, 60]),
    "bill_duration__gte": st.sampled_from([1, 60, 300]),
    "bill_duration__lt": st.sampled_from([1, 61, 900]),
    "bill_duration__lte": st.sampled_from([0, 60, 300]),
    "hangup_cause_code": st.sampled_from(CAUSES),
    "hangup_source": st.sampled_from(SOURCES),
    "stir_verification": st.sampled_from(STIRS),
    "from_number": st.sampled_from(["1", "13", "+1", "1541555"]),
    "to_number": st.sampled_from(["44", "441", "4420555"]),
    "end_time__gte": st.sampled_from(
        [NOW - timedelta(days=d, minutes=m) for d in (1, 6, 20) for m in (0, 30)]
    ),
}
LOOKUPS = {"call_direction": "call_direction", "bill_duration": "bill_duration",
           "hangup_cause_code": "hangup_cause_code", "hangup_source": "hangup_source",
           "stir_verification": "stir_verification", "end_time__gte": "end_time__gte",
           "from_number": "from_number_norm__startswith",
           "to_number": "to_number_norm__startswith"}  # fmt: skip


def _plain(main_account, params: dict) -> list[str]:
    """The reference: the calls of the account tree, by a plain ORM filter."""
    calls = Call.objects.filter(account__in=[main_account, *main_account.subaccounts.all()],
                                product="zentrunk")  # fmt: skip
    if "end_time__gte" not in params:
        calls = calls.filter(end_time__gte=NOW - timedelta(days=7))
    for name, value in params.items():
        field = LOOKUPS.get(name, name)
        if name in ("from_number", "to_number"):
            value = value.lstrip("+")
        calls = calls.filter(**{field: value})
    newest = calls.order_by("-end_time", "-call_uuid")
    return [str(u) for u in newest.values_list("call_uuid", flat=True)]


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(params=st.dictionaries(st.sampled_from(sorted(FILTERS)), st.just(None), max_size=3)
       .flatmap(lambda d: st.fixed_dictionaries({k: FILTERS[k] for k in d})),
       offset=st.sampled_from([0, 3, 40]))  # fmt: skip
def test_total_and_page_equal_a_plain_count_and_query(mixed_calls, main_account, params, offset):
    """Asked twice: a filter's first ask is counted, its second remembered (or read from
    what an earlier example remembered); both equal the plain query."""
    expected = _plain(main_account, params)
    for _ask in range(2):
        cache.clear()  # the clock is frozen: keep the throttles out of the property
        response = Client().get(
            f"/v1/Account/{main_account.auth_id}/Zentrunk/Call/",
            {**_wire(params), "limit": 5, "offset": offset},
            **basic(main_account),
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["meta"]["total_count"] == len(expected)
        assert [o["call_uuid"] for o in body["objects"]] == expected[offset : offset + 5]


def _wire(params: dict) -> dict:
    return {k: f"{v:%Y-%m-%d %H:%M}" if k == "end_time__gte" else v for k, v in params.items()}


@pytest.mark.parametrize(
    "params, leaving_at, other_at, first",
    [
        # the default window: one call leaves it, the other (ending "later") enters it
        ({}, NOW - timedelta(days=7) + timedelta(minutes=30), NOW + timedelta(minutes=30),
         ["leaving"]),
        # a window that straddles the retention line is cut at it, which moves too
        ({"end_time__gte": f"{NOW - timedelta(days=91):%Y-%m-%d %H:%M}",
          "end_time__lte": f"{NOW - timedelta(days=88):%Y-%m-%d %H:%M}"},
         NOW - timedelta(days=90) + timedelta(minutes=30), NOW - timedelta(days=89),
         ["other", "leaving"]),
    ],
)  # fmt: skip
def test_a_remembered_statement_reads_each_requests_own_window(
    main_account, plivo, params, leaving_at, other_at, first
):
    """The same shape an hour later: the call that left the window (or passed the
    retention line) is gone, the other one is there, in the page and the total."""
    statements.clear()
    made = {"leaving": CallFactory(account=main_account, end_time=leaving_at),
            "other": CallFactory(account=main_account, end_time=other_at)}  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        earlier = plivo(main_account, **params)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        cache.clear()  # the throttles count by a frozen clock
        later = plivo(main_account, **params)
    assert uuids(earlier) == [str(made[name].call_uuid) for name in first]
    assert uuids(later) == [str(made["other"].call_uuid)]
    assert later.json()["meta"]["total_count"] == 1


def test_an_empty_page_still_carries_the_total(mixed_calls, main_account, plivo):
    body = plivo(main_account, offset=5000).json()
    assert body["objects"] == []
    assert body["meta"]["total_count"] == len(_plain(main_account, {}))


def test_the_renderer_writes_what_drf_writes(mixed_calls, main_account, plivo):
    response = plivo(main_account, limit=20)
    assert response.content == JSONRenderer().render(response.json())
    detail = plivo(main_account, uuid=mixed_calls[0].call_uuid)
    assert detail.content == JSONRenderer().render(detail.json())


ACCEPTS = [None, "*/*", "application/json", "application/*", "application/json; indent=4",
           "text/html", "*/*;q=0.8"]  # fmt: skip


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", [{}, {"format": "json"}, {"format": "xml"}])
def test_the_json_only_negotiation_chooses_what_drf_chooses(accept, query):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    request = Request(APIRequestFactory().get("/v1/", query, **headers))
    renderers = [FastJSONRenderer()]

    def choice(negotiation):
        try:
            renderer, media_type = negotiation.select_renderer(request, renderers)
        except Exception as exc:  # a refusal (406, 404) is part of the answer
            return type(exc)
        return renderer, media_type

    assert choice(JSONOnlyNegotiation()) == choice(DefaultContentNegotiation())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL")
@pytest.mark.parametrize("query", ["bill_duration=99999", "offset=40"])
def test_a_page_past_the_total_is_never_read(main_account, query):
    """A filter that matches nothing (or an offset past the end) answers from the total
    alone: the page's scan, which would walk the whole window, is never executed."""
    CallFactory.create_batch(3, account=main_account)
    with CaptureQueriesContext(connection) as ctx:
        answer = Client().get(
            f"/v1/Account/{main_account.auth_id}/Zentrunk/Call/?{query}", **basic(main_account)
        )
    assert answer.status_code == 200
    assert answer.json()["objects"] == []
    assert answer.json()["meta"]["total_count"] == (0 if "bill" in query else 3)
    statement = next(q["sql"] for q in ctx.captured_queries if "LATERAL" in q["sql"])
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF, FORMAT JSON) " + statement)
        plan = cur.fetchone()[0][0]["Plan"]
    page = next(p for p in plan["Plans"] if p.get("Parent Relationship") == "Inner")
    assert page["Actual Loops"] == 1 and page["Actual Rows"] == 0
    assert all(node.get("Actual Loops", 0) == 0 for node in page.get("Plans", []))
