"""The read path itself (calls/query): for any scope, window, conditions and page, the core
returns what a plain Python filter over all calls says, so no face can bring its own
rule for scope, retention, windows or paging."""

import random
from datetime import timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.models import Call
from calls.query import scope as scopes
from calls.query.core import NEWEST_FIRST, CallQuery, Condition, retrieve
from calls.query.errors import NotFound
from calls.query.window import Bound, Window
from tests.api.conftest import NOW
from tests.factories import AccountFactory, CallFactory, SubaccountFactory

pytestmark = pytest.mark.django_db
COLUMNS = ("call_uuid", "end_time", "account_id", "call_direction", "bill_duration")
RETENTION_LINE = NOW - timedelta(days=90)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def world(frozen):
    """A main account with a subaccount (itself with a child), a stranger, and calls on
    both sides of the 90-day line, many sharing end times."""
    main = AccountFactory()
    sub = SubaccountFactory(parent=main)
    grandchild = SubaccountFactory(parent=sub)
    stranger = AccountFactory()
    rng = random.Random(7)
    shared = [NOW - timedelta(hours=rng.randrange(1, 24 * 100)) for _ in range(15)]
    for _ in range(160):
        end = (
            rng.choice(shared)
            if rng.random() < 0.4
            else NOW - timedelta(seconds=rng.randrange(1, 100 * 86400))
        )
        CallFactory(
            account=rng.choice([main, main, sub, grandchild, stranger]),
            end_time=end,
            call_direction=rng.choice(["inbound", "outbound"]),
            bill_duration=rng.choice([0, 30, 60]),
            answer_time=end - timedelta(seconds=60),
        )
    return {"main": main, "sub": sub, "grandchild": grandchild, "stranger": stranger}


def _reference(accounts, window=None, direction=None, min_bill=None) -> list[Call]:
    """Plain Python: every call, filtered by hand, newest first."""
    ids = {a.pk for a in accounts}
    kept = []
    for call in Call.objects.all():
        if call.account_id not in ids or call.end_time < RETENTION_LINE:
            continue
        if window is not None:
            lo, hi = window.lower, window.upper
            if call.end_time < lo.at or (lo.strict and call.end_time == lo.at):
                continue
            if call.end_time > hi.at or (hi.strict and call.end_time == hi.at):
                continue
        if direction and call.call_direction != direction:
            continue
        if min_bill is not None and call.bill_duration < min_bill:
            continue
        kept.append(call)
    return sorted(kept, key=lambda c: (c.end_time, c.call_uuid), reverse=True)


def _scope(world, name: str) -> tuple[scopes.Scope, list]:
    main, sub, grandchild = world["main"], world["sub"], world["grandchild"]
    if name == "main":
        return scopes.for_path_account(main, main.auth_id), [main, sub, grandchild]
    if name == "main narrowed to sub":
        return scopes.for_path_account(main, main.auth_id, sub.auth_id), [sub, grandchild]
    if name == "sub":
        return scopes.for_path_account(sub, sub.auth_id), [sub, grandchild]
    if name == "token":
        return scopes.for_token(main, descendants=False), [main]
    return scopes.for_token(main, descendants=True), [main, sub, grandchild]


SCOPES = ["main", "main narrowed to sub", "sub", "token", "token with descendants"]
hours_ago = st.integers(0, 24 * 95)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    scope_name=st.sampled_from(SCOPES),
    bounds=st.none() | st.tuples(hours_ago, hours_ago, st.booleans(), st.booleans()),
    direction=st.none() | st.sampled_from(["inbound", "outbound"]),
    min_bill=st.none() | st.sampled_from([1, 60]),
    limit=st.integers(1, 25),
)
def test_pages_and_totals_equal_a_plain_filter(world, scope_name, bounds, direction, min_bill,
                                               limit):  # fmt: skip
    scope, accounts = _scope(world, scope_name)
    window = None
    if bounds:
        older, newer, lo_strict, hi_strict = bounds
        lo, hi = sorted([NOW - timedelta(hours=older), NOW - timedelta(hours=newer)])
        window = Window(Bound(lo, lo_strict), Bound(hi, hi_strict))
    conditions = []
    if direction:
        conditions.append(Condition("call_direction", "exact", direction))
    if min_bill is not None:
        conditions.append(Condition("bill_duration", "gte", min_bill))
    query = CallQuery(scope, columns=COLUMNS, conditions=tuple(conditions), window=window)
    expected = [c.call_uuid for c in _reference(accounts, window, direction, min_bill)]

    assert query.total() == len(expected)
    by_offset = []
    for offset in range(0, len(expected) + limit, limit):
        page = query.offset_page(offset=offset, limit=limit, order=NEWEST_FIRST)
        by_offset += [row[0] for row in page.rows]
        assert page.has_more == (offset + limit < len(expected))
    assert by_offset == expected

    walked, anchor = [], None
    while True:  # keyset, towards older rows, from the newest
        if anchor is None:
            page = query.offset_page(offset=0, limit=limit)
        else:
            page = query.keyset_page(anchor, towards_older=True, limit=limit)
        walked += [row[0] for row in page.rows]
        if not page.has_more:
            break
        anchor = (page.rows[-1][1], page.rows[-1][0])
    assert walked == expected


def test_retrieve_sees_exactly_the_scope_within_retention(world):
    for name in SCOPES:
        scope, accounts = _scope(world, name)
        ids = {a.pk for a in accounts}
        for call in Call.objects.all():
            found = retrieve(scope, call.call_uuid, columns=COLUMNS)
            visible = call.account_id in ids and call.end_time >= RETENTION_LINE
            assert (found is not None) == visible, (name, call.end_time)


def test_a_path_account_outside_the_callers_tree_is_not_found(world):
    main, stranger, sub = world["main"], world["stranger"], world["sub"]
    for caller, path in [(main, stranger.auth_id), (sub, main.auth_id), (main, "MA" + "X" * 18)]:
        with pytest.raises(NotFound):
            scopes.for_path_account(caller, path)
    with pytest.raises(NotFound):  # a subaccount that is not below the path account
        scopes.for_path_account(main, main.auth_id, SubaccountFactory(parent=stranger).auth_id)


def test_the_anchor_of_an_invisible_or_expired_call_is_none(world):
    scope, accounts = _scope(world, "main")
    query = CallQuery(scope, columns=COLUMNS)
    ids = {a.pk for a in accounts}
    for call in Call.objects.all():
        visible = call.account_id in ids and call.end_time >= RETENTION_LINE
        assert (query.anchor(call.call_uuid) is not None) == visible


def test_a_total_from_the_hourly_counts_stops_at_the_retention_line(world):
    """A window reaching past 90 days (the core must not trust a face to have cut it)."""
    scope, accounts = _scope(world, "main")
    window = Window(Bound(NOW - timedelta(days=95), False), Bound(NOW, False))
    for conditions in [
        (),
        (Condition("call_direction", "exact", "inbound", dimension="call_direction"),),
    ]:
        query = CallQuery(scope, columns=COLUMNS, conditions=conditions, window=window)
        direction = conditions[0].value if conditions else None
        assert query.total() == len(_reference(accounts, window, direction))
    old = Window(Bound(NOW - timedelta(days=99), False), Bound(NOW - timedelta(days=95), False))
    assert CallQuery(scope, columns=COLUMNS, window=old).total() == 0
