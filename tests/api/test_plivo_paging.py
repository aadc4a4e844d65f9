"""Pages of a result, walked any way, add up to the whole ordered result."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from tests.api.conftest import NOW, uuids
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(frozen, main_account, subaccount):
    """47 calls, 20 of them sharing one end time (ties broken by call_uuid)."""
    tie = NOW - timedelta(hours=5)
    made = [CallFactory(account=main_account, end_time=tie) for _ in range(20)]
    made += [
        CallFactory(account=subaccount, end_time=NOW - timedelta(minutes=37 * i + 1))
        for i in range(27)
    ]
    ordered = sorted(made, key=lambda c: (c.end_time, c.call_uuid), reverse=True)
    return [str(c.call_uuid) for c in ordered]


def _walk(plivo, account, first_params, key):
    seen, response = [], plivo(account, **first_params)
    while True:
        seen.append(uuids(response))
        link = response.json()["meta"][key]
        if not link:
            return seen, response
        params = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
        response = plivo(account, **params)


@pytest.mark.parametrize("limit", [1, 7, 20])
def test_offset_pages_concatenate_to_the_whole_result(plivo, main_account, many, limit):
    pages = [
        uuids(plivo(main_account, limit=str(limit), offset=str(offset)))
        for offset in range(0, len(many) + limit, limit)
    ]
    assert [u for page in pages for u in page] == many


@pytest.mark.parametrize("limit", [1, 6, 20])
def test_following_next_walks_every_call_once_in_order(plivo, main_account, many, limit):
    pages, last = _walk(plivo, main_account, {"limit": str(limit)}, "next")
    flat = [u for page in pages for u in page]
    assert flat == many
    assert all(len(page) == limit for page in pages[:-1])
    assert last.json()["meta"]["offset"] == (len(pages) - 1) * limit


def test_following_previous_walks_back_to_the_first_page(plivo, main_account, many):
    pages, last = _walk(plivo, main_account, {"limit": "6"}, "next")
    back, first = _walk(
        plivo,
        main_account,
        {k: v[0] for k, v in parse_qs(urlparse(last.json()["meta"]["previous"]).query).items()},
        "previous",
    )
    assert back == list(reversed(pages[:-1]))
    assert first.json()["meta"]["offset"] == 0


def test_meta_counts_exactly_and_links_keep_the_filters(plivo, main_account, many):
    response = plivo(main_account, limit="5", call_direction="outbound", from_number="+1")
    meta = response.json()["meta"]
    assert meta["total_count"] == len(many)
    assert meta["limit"] == 5 and meta["offset"] == 0 and meta["previous"] is None
    query = parse_qs(urlparse(meta["next"]).query)
    assert query["call_direction"] == ["outbound"] and query["from_number"] == ["+1"]
    assert query["offset"] == ["5"] and query["limit"] == ["5"] and query["cursor"]
    assert urlparse(meta["next"]).path == f"/v1/Account/{main_account.auth_id}/Zentrunk/Call/"


def test_the_last_page_has_no_next(plivo, main_account, many):
    meta = plivo(main_account, limit="20", offset="40").json()["meta"]
    assert meta["next"] is None and meta["previous"]


def test_a_tampered_cursor_is_a_400(plivo, main_account, many):
    link = plivo(main_account, limit="5").json()["meta"]["next"]
    cursor = parse_qs(urlparse(link).query)["cursor"][0]
    tampered = cursor[:-3] + ("AAA" if cursor[-3:] != "AAA" else "BBB")
    response = plivo(main_account, limit="5", cursor=tampered)
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]


def test_a_cursor_from_another_query_is_a_400(plivo, main_account, many):
    link = plivo(main_account, limit="5").json()["meta"]["next"]
    cursor = parse_qs(urlparse(link).query)["cursor"][0]
    response = plivo(main_account, limit="5", cursor=cursor, call_direction="inbound")
    assert response.status_code == 400
    assert "different query" in response.json()["error"]


def test_a_cursor_with_a_different_offset_is_a_400(plivo, main_account, many):
    link = plivo(main_account, limit="5").json()["meta"]["next"]
    cursor = parse_qs(urlparse(link).query)["cursor"][0]
    assert plivo(main_account, limit="5", cursor=cursor, offset="5").status_code == 200
    response = plivo(main_account, limit="5", cursor=cursor, offset="10")
    assert response.status_code == 400


def test_a_walk_keeps_the_window_of_its_first_page(plivo, main_account, many, frozen):
    import time_machine

    link = plivo(main_account, limit="20").json()["meta"]["next"]
    params = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    with time_machine.travel(NOW + timedelta(hours=23, minutes=59), tick=False):
        page = plivo(main_account, **params)
    assert uuids(page) == many[20:40]
    assert page.json()["meta"]["total_count"] == len(many)


def _next_params(response) -> dict:
    link = response.json()["meta"]["next"]
    return {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}


def test_a_cursor_expires_a_day_after_its_walk_began(plivo, main_account, many, frozen):
    import time_machine

    params = _next_params(plivo(main_account, limit="20"))
    with time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False):
        response = plivo(main_account, **params)
    assert response.status_code == 400
    assert set(response.json()) == {"api_id", "error"}
    assert "expired" in response.json()["error"]
    assert "first page" in response.json()["error"]


def test_a_kept_cursor_never_reaches_past_the_real_retention_line(plivo, main_account, frozen):
    """The window is the first page's; the 90-day line is today's."""
    import time_machine

    old = NOW - timedelta(days=89, hours=12)
    aging = [
        CallFactory(account=main_account, end_time=old - timedelta(minutes=i)) for i in range(3)
    ]
    fresh = CallFactory(account=main_account, end_time=NOW - timedelta(days=89))
    lower = (NOW - timedelta(days=89, hours=20)).strftime("%Y-%m-%d %H:%M")
    upper = (NOW - timedelta(days=88)).strftime("%Y-%m-%d %H:%M")
    first = plivo(main_account, limit="1", end_time__gte=lower, end_time__lte=upper)
    assert uuids(first) == [str(fresh.call_uuid)]
    assert first.json()["meta"]["total_count"] == 4
    # 13 hours later the three older calls are past 90 days: a cursor must not show them.
    with time_machine.travel(NOW + timedelta(hours=13), tick=False):
        later = plivo(main_account, **_next_params(first))
    assert later.status_code == 200
    assert uuids(later) == []
    assert later.json()["meta"]["total_count"] == 1
    assert {str(c.call_uuid) for c in aging}.isdisjoint(uuids(later))


def test_an_empty_cursor_is_a_400(plivo, main_account):
    response = plivo(main_account, cursor="")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]
