"""Oracle: for random filters over random calls, the API equals a plain Python filter."""

import random
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.models import normalise_number
from tests.api.conftest import NOW
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db

FROM_PREFIXES = ["1", "+1", "1415", "+1415555", "44", "+4420", "9", "141555501"]
TO_PREFIXES = ["1", "+1212", "44", "33", "+33"]


@pytest.fixture
def dataset(frozen, main_account, subaccount, other_account):
    """~200 calls over 40 days across three accounts, many sharing end times."""
    rng = random.Random(20261120)
    owners = [main_account, main_account, subaccount, other_account]
    shared = [NOW - timedelta(hours=rng.randrange(1, 900)) for _ in range(25)]
    calls = []
    for _ in range(200):
        end = (
            rng.choice(shared)
            if rng.random() < 0.4
            else NOW - timedelta(seconds=rng.randrange(1, 40 * 86400))
        )
        answered = rng.random() < 0.7
        bill = rng.choice([0, 1, 30, 59, 60, 61, 600]) if answered else 0
        calls.append(
            CallFactory(
                account=rng.choice(owners),
                end_time=end,
                bill_duration=bill,
                answer_time=(end - timedelta(seconds=bill)) if answered else None,
                call_direction=rng.choice(["inbound", "outbound"]),
                from_number=rng.choice(["+", ""])
                + rng.choice(["1415555", "44207", "3314"])
                + f"{rng.randrange(10**4):04d}",
                to_number=rng.choice(["+", ""])
                + rng.choice(["1212555", "33144"])
                + f"{rng.randrange(10**4):04d}",
                hangup_cause_code=rng.choice([4000, 3000, 3020, 1000]),
                hangup_source=rng.choice(["customer", "carrier", "zentrunk"]),
                stir_verification=rng.choice(["Verified", "Not Verified", "Not Applicable"]),
            )
        )
    return calls


def _stamp(delta_seconds: int) -> str:
    return (NOW - timedelta(seconds=delta_seconds)).strftime("%Y-%m-%d %H:%M:%S")


filters = st.fixed_dictionaries(
    {},
    optional={
        "from_number": st.sampled_from(FROM_PREFIXES),
        "to_number": st.sampled_from(TO_PREFIXES),
        "call_direction": st.sampled_from(["inbound", "outbound"]),
        "bill_duration": st.sampled_from(["0", "60", "61"]),
        "bill_duration__gt": st.sampled_from(["0", "59", "60"]),
        "bill_duration__lte": st.sampled_from(["0", "60", "600"]),
        "hangup_cause_code": st.sampled_from(["4000", "3000", "1000"]),
        "hangup_source": st.sampled_from(["customer", "carrier", "zentrunk"]),
        "stir_verification": st.sampled_from(["Verified", "Not Verified", "Not Applicable"]),
        "end_time__gte": st.integers(5 * 86400, 29 * 86400).map(_stamp),
        "end_time__lt": st.integers(0, 4 * 86400).map(_stamp),
        "subaccount": st.just("SUB"),
        "limit": st.integers(1, 20).map(str),
        "offset": st.integers(0, 60).map(str),
    },
)


def _oracle(calls, params, main, sub):
    def parse(value):
        from datetime import UTC, datetime

        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    lo = parse(params["end_time__gte"]) if "end_time__gte" in params else None
    hi = parse(params["end_time__lt"]) if "end_time__lt" in params else None
    if lo is None and hi is None:
        lo, hi_incl = NOW - timedelta(days=7), NOW
    elif lo is None:
        lo, hi_incl = hi - timedelta(days=7), None
    elif hi is None:
        hi_incl = NOW
    else:
        hi_incl = None
    owners = {sub.pk} if "subaccount" in params else {main.pk, sub.pk}

    def keep(c):
        if c.account_id not in owners or c.end_time < lo:
            return False
        if hi_incl is not None and c.end_time > hi_incl:
            return False
        if hi is not None and hi_incl is None and c.end_time >= hi:
            return False
        checks = {
            "from_number": lambda v: normalise_number(c.from_number).startswith(v.lstrip("+")),
            "to_number": lambda v: normalise_number(c.to_number).startswith(v.lstrip("+")),
            "call_direction": lambda v: c.call_direction == v,
            "bill_duration": lambda v: c.bill_duration == int(v),
            "bill_duration__gt": lambda v: c.bill_duration > int(v),
            "bill_duration__lte": lambda v: c.bill_duration <= int(v),
            "hangup_cause_code": lambda v: c.hangup_cause_code == int(v),
            "hangup_source": lambda v: c.hangup_source == v,
            "stir_verification": lambda v: c.stir_verification == v,
        }
        return all(check(params[k]) for k, check in checks.items() if k in params)

    matched = sorted(
        (c for c in calls if keep(c)), key=lambda c: (c.end_time, c.call_uuid), reverse=True
    )
    return [str(c.call_uuid) for c in matched]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(params=filters)
def test_the_api_returns_what_a_plain_python_filter_returns(
    plivo, main_account, subaccount, dataset, params
):
    if "subaccount" in params:
        params = {**params, "subaccount": subaccount.auth_id}
    expected = _oracle(dataset, params, main_account, subaccount)
    response = plivo(main_account, **params)
    assert response.status_code == 200, response.json()
    body = response.json()
    limit, offset = int(params.get("limit", 20)), int(params.get("offset", 0))
    assert body["meta"]["total_count"] == len(expected)
    assert [o["call_uuid"] for o in body["objects"]] == expected[offset : offset + limit]
