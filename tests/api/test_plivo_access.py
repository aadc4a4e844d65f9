"""Authentication, who sees what, and that nothing ever reveals another account's calls."""

import pytest
from django.db import connection

from accounts.services import account_create, account_deactivate
from tests.api.conftest import NOW, uuids
from tests.factories import AccountFactory, CallFactory, SubaccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(frozen):
    """Two customers, each a main account with two subaccounts, each with calls."""
    out = {}
    for name in ("a", "b"):
        main = AccountFactory(name=f"{name} main")
        subs = [SubaccountFactory(parent=main, name=f"{name} sub {i}") for i in (1, 2)]
        out[name] = main
        out[f"{name}1"], out[f"{name}2"] = subs
        for acc in (main, *subs):
            acc.call = CallFactory(account=acc, end_time=NOW.replace(hour=9))
            acc.child = CallFactory(account=acc, parent_call_uuid=acc.call.call_uuid)
    return out


def _calls_of(*accounts) -> set[str]:
    return {str(c.call_uuid) for acc in accounts for c in (acc.call, acc.child)}


def test_a_main_account_sees_its_own_and_its_subaccounts_calls(plivo, world):
    a, a1, a2 = world["a"], world["a1"], world["a2"]
    assert set(uuids(plivo(a))) == _calls_of(a, a1, a2)
    assert set(uuids(plivo(a, a1))) == _calls_of(a1)
    assert set(uuids(plivo(a, subaccount=a2.auth_id))) == _calls_of(a2)


def test_a_subaccount_sees_only_its_own_calls(plivo, world):
    assert set(uuids(plivo(world["a1"]))) == _calls_of(world["a1"])


def test_missing_or_wrong_credentials_are_401(plivo, world, client):
    a = world["a"]
    url = f"/v1/Account/{a.auth_id}/Call/"
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer abc"},
        {"HTTP_AUTHORIZATION": "Basic !!!"},
        {"HTTP_AUTHORIZATION": "Basic"},
    ):
        response = client.get(url, **headers)
        assert response.status_code == 401
        assert set(response.json()) == {"api_id", "error"}
        assert response["WWW-Authenticate"].startswith("Basic")
    assert plivo(a, token="x" * 40).status_code == 401
    assert plivo(a, token=world["b"].raw_auth_token).status_code == 401


def test_a_deactivated_account_cannot_authenticate(plivo, world):
    account_deactivate(account=world["a1"])
    assert plivo(world["a1"]).status_code == 401
    assert set(uuids(plivo(world["a"]))) == _calls_of(world["a"], world["a2"])


def test_foreign_and_unknown_path_accounts_are_the_same_404(plivo, world):
    a = world["a"]
    unknown = AccountFactory.build(auth_id="MA" + "Z" * 18)
    bodies = []
    for path in (world["b"], world["b1"], unknown):
        response = plivo(a, path)
        assert response.status_code == 404
        bodies.append(response.json()["error"])
    # a subaccount may not read its parent's or sibling's path either
    assert plivo(world["a1"], a).status_code == 404
    assert plivo(world["a1"], world["a2"]).status_code == 404
    assert len(set(bodies)) == 1


ATTEMPTS = [
    ("list", {"subaccount": "b1"}),
    ("list", {"parent_call_uuid": "b.call"}),
    ("list", {"parent_call_uuid": "b1.call"}),
    ("list", {"from_number": "1"}),
    ("list", {"to_number": "1"}),
    ("retrieve", {"uuid": "b.call"}),
    ("retrieve", {"uuid": "b1.child"}),
]


@pytest.mark.parametrize("caller", ["a", "a1"])
@pytest.mark.parametrize(("kind", "params"), ATTEMPTS)
@pytest.mark.parametrize("zentrunk", [False, True])
def test_nothing_reveals_another_accounts_calls(plivo, world, caller, kind, params, zentrunk):
    foreign = _calls_of(world["b"], world["b1"], world["b2"])
    resolved = {}
    for key, value in params.items():
        if "." in value:
            acc, attr = value.split(".")
            value = str(getattr(world[acc], attr).call_uuid)
        elif value in world:
            value = world[value].auth_id
        resolved[key] = value
    response = plivo(world[caller], zentrunk=zentrunk, **resolved)
    body = response.content.decode()
    assert response.status_code in {200, 400, 404}
    assert not any(uid in body for uid in foreign)
    assert world["b"].auth_id not in body and world["b1"].auth_id not in body


def test_subaccount_filter_is_for_main_accounts_and_their_own_subaccounts(plivo, world):
    assert plivo(world["a"], subaccount=world["b1"].auth_id).status_code == 404
    assert plivo(world["a1"], subaccount=world["a2"].auth_id).status_code == 400


def test_retrieve_returns_the_call_with_every_field_in_the_account_zone(plivo, frozen):
    issued = account_create(name="Paris", timezone_name="Europe/Paris")
    account = issued.account
    account.raw_auth_token = issued.auth_token
    call = CallFactory(
        account=account,
        end_time=NOW.replace(hour=9, microsecond=123456),
        bill_duration=924,
        from_number="+14158572518",
        to_number="14153268174",
        product="voice",  # Voice calls are shown in the account's zone
    )
    response = plivo(account, uuid=call.call_uuid, call_uuid=str(call.call_uuid), zentrunk=False)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "api_id",
        "answer_time",
        "bill_duration",
        "billed_duration",
        "call_direction",
        "call_duration",
        "call_uuid",
        "end_time",
        "from_number",
        "hangup_cause_code",
        "hangup_cause_name",
        "hangup_source",
        "initiation_time",
        "parent_call_uuid",
        "resource_uri",
        "source_ip",
        "stir_verification",
        "to_number",
        "total_amount",
        "total_rate",
    }
    assert body["end_time"] == "2026-11-20 10:00:00+01:00"
    assert body["answer_time"] == "2026-11-20 09:44:36+01:00"
    assert body["bill_duration"] == 924 and body["billed_duration"] == 960
    assert body["total_amount"] == "0.13600" and body["total_rate"] == "0.00850"
    assert body["hangup_cause_name"] == "Normal Hangup"
    assert body["from_number"] == "+14158572518" and body["to_number"] == "14153268174"
    assert body["resource_uri"] == f"/v1/Account/{account.auth_id}/Call/{call.call_uuid}/"


def test_unanswered_calls_have_a_null_answer_time(plivo, main_account, frozen):
    call = CallFactory(account=main_account, answer_time=None, bill_duration=0)
    body = plivo(main_account, uuid=call.call_uuid).json()
    assert body["answer_time"] is None and body["total_amount"] == "0.00000"


def test_retrieve_refuses_unknown_params_and_a_mismatched_call_uuid(plivo, main_account, frozen):
    call = CallFactory(account=main_account)
    assert plivo(main_account, uuid=call.call_uuid, limit="1").status_code == 400
    other = "00000000-0000-4000-8000-000000000000"
    assert plivo(main_account, uuid=call.call_uuid, call_uuid=other).status_code == 400
    assert plivo(main_account, uuid="not-a-uuid").status_code == 404


def test_zentrunk_path_serves_the_same_calls(plivo, main_account, frozen):
    call = CallFactory(account=main_account)
    response = plivo(main_account, zentrunk=True)
    assert uuids(response) == [str(call.call_uuid)]
    assert "/Zentrunk/Call/" in response.json()["objects"][0]["resource_uri"]
    assert plivo(main_account, uuid=call.call_uuid, zentrunk=True).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405_in_the_error_shape(client, main_account, method):
    from tests.api.conftest import basic

    url = f"/v1/Account/{main_account.auth_id}/Call/"
    response = getattr(client, method)(url, **basic(main_account))
    assert response.status_code == 405
    assert set(response.json()) == {"api_id", "error"}


def test_a_list_request_runs_three_queries(
    plivo, main_account, subaccount, frozen, django_assert_num_queries
):
    CallFactory.create_batch(3, account=subaccount)
    # 1 auth, 2 account tree, 3 count and page in one statement (two on SQLite); a
    # cursor page: 1 auth, 2 tree, 3 count, 4 page. With the credential cache on (the
    # default outside tests), the first two go too: tests/api/test_speed_paths.py.
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        assert len(uuids(plivo(main_account, limit="2"))) == 2
    cursor_link = plivo(main_account, limit="2").json()["meta"]["next"]
    with django_assert_num_queries(4):
        from django.test import Client

        from tests.api.conftest import basic

        assert Client().get(cursor_link, **basic(main_account)).status_code == 200


def test_a_retrieve_runs_three_queries(plivo, main_account, frozen, django_assert_num_queries):
    call = CallFactory(account=main_account)
    # 1 auth, 2 account tree, 3 the call
    with django_assert_num_queries(3):
        assert plivo(main_account, uuid=call.call_uuid).status_code == 200
