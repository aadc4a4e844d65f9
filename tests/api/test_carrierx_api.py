"""The CarrierX face: auth and scopes, the CDR object, paging, filters, errors."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import account_create, token_revoke
from calls.bulk.imports import call_import
from tests.api.conftest import NOW
from tests.factories import AccountFactory, CallFactory, SubaccountFactory

pytestmark = pytest.mark.django_db
URL = "/core/v2/calls/call_drs"


@pytest.fixture
def cx(db):
    """cx(secret, path="", **params) -> response."""
    client = Client()

    def get(secret, path="", **params):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
        return client.get(URL + path, params, **headers)

    return get


def _sids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["dr_sid"] for item in response.json()["items"]]


def _error(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"message", "errors"} and body["errors"]
    if field:
        assert body["errors"][0]["field"] == field
    return body["errors"][0]["message"]


# --- auth and scopes ----------------------------------------------------------------------
def test_missing_unknown_expired_and_revoked_tokens_are_401(cx, main_account, bearer):
    _, secret = bearer(main_account)
    _, expired = bearer(main_account, expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_secret = bearer(main_account)
    token_revoke(token=revoked)
    for bad in (None, "nope", expired, revoked_secret):
        response = cx(bad)
        _error(response, 401, "Authorization")
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert Client().get(URL, HTTP_AUTHORIZATION=f"Basic {secret}").status_code == 401
    assert cx(secret).status_code == 200


def test_a_token_without_a_read_scope_is_403(cx, main_account, bearer):
    _, secret = bearer(main_account, scopes=["calls.read_descendant"])
    assert "calls.read" in _error(cx(secret), 403, "scope")


@pytest.fixture
def tree(frozen):
    """root -> child -> grandchild, and a stranger; one call each."""
    root = AccountFactory(name="root")
    child = SubaccountFactory(parent=root, name="child")
    grandchild = SubaccountFactory(parent=child, name="grandchild")
    stranger = AccountFactory(name="stranger")
    for acc in (root, child, grandchild, stranger):
        acc.call = CallFactory(account=acc, end_time=NOW - timedelta(hours=1))
    return {"root": root, "child": child, "grandchild": grandchild, "stranger": stranger}


VISIBILITY = [
    ("root", ["calls.read"], ["root"]),
    ("root", ["calls.manage"], ["root"]),
    ("root", ["calls.read", "calls.read_descendant"], ["root", "child", "grandchild"]),
    ("root", ["calls.manage", "calls.read_descendant"], ["root", "child", "grandchild"]),
    ("child", ["calls.read"], ["child"]),
    ("child", ["calls.read", "calls.read_descendant"], ["child", "grandchild"]),
    ("grandchild", ["calls.read", "calls.read_descendant"], ["grandchild"]),
    ("stranger", ["calls.read", "calls.read_descendant"], ["stranger"]),
]


@pytest.mark.parametrize(("owner", "scopes", "sees"), VISIBILITY)
def test_scopes_and_the_account_tree_decide_what_a_token_sees(
    cx, tree, bearer, owner, scopes, sees
):
    _, secret = bearer(tree[owner], scopes=scopes)
    assert set(_sids(cx(secret, limit="100"))) == {str(tree[n].call.call_uuid) for n in sees}
    for name, acc in tree.items():
        response = cx(secret, f"/{acc.call.call_uuid}")
        assert response.status_code == (200 if name in sees else 404)
        if name not in sees:
            assert str(acc.call.call_uuid) not in response.content.decode()
            assert _error(cx(secret, after=str(acc.call.call_uuid)), 400, "after")


# --- the CDR object -----------------------------------------------------------------------
SAMPLE = {
    "cic": None, "cic_original": None, "cic_transformed": None, "codec_dst": "g722",
    "codec_src": "amrwb", "date_insert": "2026-11-18T15:35:03.000Z",
    "date_start": "2026-11-18T15:32:15.589Z", "date_stop": "2026-11-18T15:32:19.839Z",
    "date_talk": "2026-11-18T15:32:16.535Z", "direction": "inbound",
    "disconnect_originator": "DST", "diversion_dst": "+15162065451",
    "diversion_src": "+15162065451", "dr_sid": "c02a73b2-8401-459a-af7e-f4cc3eee7854",
    "duration": "4.25015", "duration_billing": "60",
    "endpoint_sid_dst": "1ce5a6da-7d72-448a-ab81-897fe24b8f02",
    "endpoint_sid_src": "7fc3e7ea-a0df-4de1-836f-50318ed66466", "identity": None,
    "ip_dst": "10.222.2.197:5060", "ip_src": "162.251.180.18", "number_billing": "15162065451",
    "number_dst": "15162065451", "number_dst_original": None, "number_dst_transformed": None,
    "number_external": "15012678830", "number_src": "+15012678830",
    "number_src_original": None, "number_src_transformed": None, "price": "0.0025",
    "price_lcr_dst": "0.0025", "price_lcr_src": None, "rate": "0.0025", "rate_lcr_dst": "0.005",
    "rate_lcr_src": None, "sipcallid_dst": "11b5b29c3486cac52a7d5baa52c937c9@12.7.193.174",
    "sipcallid_src": "428ac5df4582bea66501f7d45199a18d@162.251.180.24", "sipcause": "200",
    "stir_attest": "A", "stir_identity": "false", "stir_orig_id": "+15012678830",
    "stir_signing_entity": "carrierX", "stir_verstat": None, "transcoded": True,
    "trunk_group_sid_dst": "cf7db13f-5c63-4c62-a447-fe3008cd72ef", "trunk_group_sid_src": None,
    "trunk_sid_dst": "7098d9f8-c8f2-400f-a31a-61ef7755985c", "trunk_sid_src": None,
    "type": "telecom", "user_data": {"identity": "eyJ0eXAiOiJwYXNzcG9ydCIsImFsZyI6I"},
    "version": 2,
}  # fmt: skip


def test_the_cdr_object_has_the_vendors_fields_names_and_formats(cx, main_account, bearer, frozen):
    call_import(records=[(1, SAMPLE)], account=main_account)
    _, secret = bearer(main_account)
    item = cx(secret, f"/{SAMPLE['dr_sid']}").json()
    assert item == {**SAMPLE, "partner_sid": str(main_account.partner_sid)}
    assert cx(secret).json()["items"] == [item]


def test_include_and_exclude_fields(cx, main_account, bearer, frozen):
    call_import(records=[(1, SAMPLE)], account=main_account)
    _, secret = bearer(main_account)
    picked = cx(secret, include_fields="dr_sid,price,partner_sid").json()["items"][0]
    assert picked == {
        "dr_sid": SAMPLE["dr_sid"],
        "price": "0.0025",
        "partner_sid": str(main_account.partner_sid),
    }
    dropped = cx(secret, f"/{SAMPLE['dr_sid']}", exclude_fields="user_data,identity").json()
    assert "user_data" not in dropped and "identity" not in dropped and "dr_sid" in dropped
    assert "nonsense" in _error(cx(secret, include_fields="dr_sid,nonsense"), 400, "include_fields")


# --- paging --------------------------------------------------------------------------------
@pytest.fixture
def many(frozen, main_account):
    """30 calls, 12 of them sharing one end time."""
    tie = NOW - timedelta(hours=3)
    made = [CallFactory(account=main_account, end_time=tie) for _ in range(12)]
    made += [
        CallFactory(account=main_account, end_time=NOW - timedelta(minutes=17 * i + 1))
        for i in range(18)
    ]
    return sorted(made, key=lambda c: (c.end_time, c.call_uuid), reverse=True)


def _follow(cx, secret, first, key):
    pages, response = [], cx(secret, **first)
    while True:
        pages.append(_sids(response))
        link = response.json()["pagination"].get(key)
        if not link or not response.json()["has_more"]:
            return pages
        assert link.startswith("/core/v2/calls/call_drs?")
        response = cx(secret, **{k: v[0] for k, v in parse_qs(urlparse(link).query).items()})


def test_defaults_limit_ten_newest_first_has_more_and_no_total(cx, main_account, bearer, many):
    _, secret = bearer(main_account)
    body = cx(secret).json()
    assert [i["dr_sid"] for i in body["items"]] == [str(c.call_uuid) for c in many[:10]]
    assert body["count"] == 10 and body["limit"] == 10 and body["offset"] == 0
    assert body["has_more"] is True and body["total"] is None
    assert "previous" not in body["pagination"]
    assert cx(secret, total="true").json()["total"] == 30


@pytest.mark.parametrize("limit", [1, 7, 30])
def test_walking_after_visits_every_cdr_once_in_order(cx, main_account, bearer, many, limit):
    _, secret = bearer(main_account)
    pages = _follow(cx, secret, {"limit": str(limit)}, "next")
    first, rest = pages[0], pages[1:]
    assert [s for p in [first, *rest] for s in p] == [str(c.call_uuid) for c in many]


def test_walking_before_backwards_visits_every_cdr_once(cx, main_account, bearer, many):
    _, secret = bearer(main_account)
    oldest = str(many[-1].call_uuid)
    pages = _follow(cx, secret, {"limit": "4", "before": oldest}, "previous")
    walked = [s for page in reversed(pages) for s in page]
    assert walked == [str(c.call_uuid) for c in many[:-1]]


def test_ascending_order_and_keyset_agree(cx, main_account, bearer, many):
    _, secret = bearer(main_account)
    pages = _follow(cx, secret, {"limit": "8", "order": "date_stop asc"}, "next")
    assert [s for p in pages for s in p] == [str(c.call_uuid) for c in reversed(many)]
    assert (
        _sids(cx(secret, order="date_stop asc", after=str(many[-1].call_uuid), limit="2"))
        == [str(c.call_uuid) for c in reversed(many)][1:3]
    )


def test_offset_pages_and_any_field_order(cx, main_account, bearer, many):
    _, secret = bearer(main_account)
    pages = [_sids(cx(secret, limit="7", offset=str(o))) for o in range(0, 35, 7)]
    assert [s for p in pages for s in p] == [str(c.call_uuid) for c in many]
    by_price = cx(secret, order="price asc", limit="30", include_fields="price").json()["items"]
    prices = [float(i["price"]) for i in by_price]
    assert prices == sorted(prices)


# --- filters and errors -------------------------------------------------------------------
def test_filters_select_the_right_rows(cx, main_account, bearer, frozen):
    a = CallFactory(
        account=main_account,
        call_direction="inbound",
        bill_duration=30,
        from_number="+14155550100",
        user_data={"team": "night shift"},
    )
    b = CallFactory(
        account=main_account,
        call_direction="outbound",
        bill_duration=300,
        from_number="442071234567",
        codec_src="G722",
    )
    _, secret = bearer(main_account)

    def sids(expr):
        return set(_sids(cx(secret, filter=expr)))

    assert sids("direction eq inbound") == {str(a.call_uuid)}
    assert sids("direction ne inbound") == {str(b.call_uuid)}
    assert sids("duration_billing ge 300") == {str(b.call_uuid)}
    assert sids("number_src like '+1415%'") == {str(a.call_uuid)}
    assert sids("codec_src like 'g7%'") == set() and sids("codec_src ilike 'g7%'") == {
        str(b.call_uuid)
    }
    assert sids("user_data.team eq 'night shift'") == {str(a.call_uuid)}
    assert sids("direction in (inbound,outbound) and price gt 0") == {
        str(a.call_uuid),
        str(b.call_uuid),
    }
    assert sids(f"dr_sid nin ({a.call_uuid})") == {str(b.call_uuid)}
    assert sids("cic eq null") == {str(a.call_uuid), str(b.call_uuid)}
    assert sids("cic ne null") == set()
    since = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert len(sids(f"date_stop ge {since} and date_stop le '2026-11-20 12:00'")) == 2


@pytest.mark.parametrize(
    ("expr", "matches"),
    [
        ("version eq 70000", False),  # version is a smallint: 0 to 32767
        ("version gt 70000", False),
        ("version ge 32768", False),
        ("version lt -1", False),
        ("version eq -2147483647", False),
        ("duration_billing eq -1", False),  # an integer column, 0 and up
        ("duration_billing lt 0", False),
        ("version ne 70000", True),
        ("version lt 70000", True),
        ("version le 2147483647", True),
        ("version ge -70000", True),
        ("version in (70000, 2)", True),
        ("version nin (70000)", True),
        ("duration_billing ge -5", True),
        ("duration_billing ne -1", True),
    ],
)
def test_an_integer_past_its_column_is_a_comparison_like_another(
    cx, main_account, bearer, frozen, expr, matches
):
    """`version eq 70000&total=true` was a 500: Django knows such a comparison matches
    nothing (or everything) and compiles no SQL for it, which the total took for an error."""
    call = CallFactory(account=main_account, end_time=NOW - timedelta(hours=1), version=2)
    _, secret = bearer(main_account)
    response = cx(secret, filter=expr, total="true")
    expected = [str(call.call_uuid)] if matches else []
    assert _sids(response) == expected
    assert response.json()["total"] == len(expected)


# Each parameter's and each field's refusals: test_carrierx_parameters.py; the rules tying
# parameters together (keyset, date_stop range): test_rules.py.
@pytest.mark.parametrize(
    ("params", "field", "needle"),
    [
        ({"filter": "direction or x"}, "direction", "Unknown operator"),
        ({"filter": "date_stop le 2026-11-19 00:00"}, "filter", "Expected 'and'"),
        ({"filter": "user_data.a%b eq x"}, "filter", "user_data key"),
    ],
)
def test_bad_requests_are_400s_naming_the_field(
    cx, main_account, bearer, frozen, params, field, needle
):
    _, secret = bearer(main_account)
    assert needle in _error(cx(secret, **params), 400, field)


def test_injection_attempts_return_400_or_only_the_right_rows(
    cx, main_account, other_account, bearer, frozen
):
    mine = CallFactory(account=main_account, to_number="15551234567")
    CallFactory(account=other_account, to_number="15551234567")
    _, secret = bearer(main_account)
    for expr in [
        "number_dst eq '1' or '1'='1'",
        "number_dst eq 1; DROP TABLE calls_call",
        "number_dst like '%'",
        "number_dst like '%' and number_dst ne '' ",
        "number_dst eq '15551234567''; --'",
        "number_dst eq 'x\\' or 1=1 --'",
        "number_dst eq \uff071\uff07",  # fullwidth apostrophes are not quotes
        "number_dst in ('15551234567') and partner_sid ne null",
    ]:
        response = cx(secret, filter=expr)
        assert response.status_code in {200, 400}, expr
        if response.status_code == 200:
            assert set(_sids(response)) <= {str(mine.call_uuid)}, expr


def test_retention_hides_old_cdrs_from_list_and_retrieve(cx, main_account, bearer, frozen):
    old = CallFactory(account=main_account, end_time=NOW - timedelta(days=90, seconds=1))
    kept = CallFactory(account=main_account, end_time=NOW - timedelta(days=90))
    _, secret = bearer(main_account)
    assert _sids(cx(secret)) == [str(kept.call_uuid)]
    assert cx(secret, f"/{old.call_uuid}").status_code == 404
    assert cx(secret, f"/{kept.call_uuid}").status_code == 200
    _error(cx(secret, "/not-a-uuid"), 400, "dr_sid")


def test_other_methods_are_405_in_the_error_shape(main_account, bearer):
    _, secret = bearer(main_account)
    response = Client().post(URL, HTTP_AUTHORIZATION=f"Bearer {secret}")
    _error(response, 405, "method")


def test_query_counts_are_small_and_fixed(
    cx, main_account, subaccount, bearer, many, django_assert_num_queries
):
    _, own = bearer(main_account)
    _, tree = bearer(main_account, scopes=["calls.read", "calls.read_descendant"])
    with django_assert_num_queries(2):  # 1 token, 2 page
        cx(own)
    with django_assert_num_queries(3):  # 1 token, 2 account tree, 3 page
        cx(tree)
    with django_assert_num_queries(4):  # 1 token, 2 tree, 3 anchor, 4 page
        cx(tree, after=str(many[5].call_uuid))
    with django_assert_num_queries(3):  # 1 token, 2 page, 3 total
        cx(own, total="true")


def test_timestamps_are_utc_with_milliseconds(cx, bearer, frozen):
    issued = account_create(name="Paris", timezone_name="Europe/Paris")
    call = CallFactory(
        account=issued.account, end_time=datetime(2026, 11, 20, 9, 30, 1, 987654, tzinfo=UTC)
    )
    _, secret = bearer(issued.account)
    item = cx(secret, f"/{call.call_uuid}").json()
    assert item["date_stop"] == "2026-11-20T09:30:01.987Z"
