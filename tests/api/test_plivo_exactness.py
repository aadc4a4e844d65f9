"""total_count is exact: for any window, it equals a plain COUNT and the rows of a full
meta.next walk, with bounds and calls sitting exactly on hours and seconds."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.models import Call
from tests.api.conftest import NOW, basic
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)
ON_HOUR = NOW.replace(minute=0, second=0)  # NOW is itself on an hour


@pytest.fixture
def calls_on_edges(frozen, main_account, other_account):
    """Calls on whole hours, one second either side of them, and mid-hour, over 3 days."""
    made = []
    for hours in range(0, 72, 5):
        hour = ON_HOUR - hours * HOUR
        for offset in (-1, 0, 0, 1, 1800):
            end = hour + timedelta(seconds=offset)
            if end <= NOW:
                made.append(CallFactory(account=main_account, end_time=end))
        CallFactory(account=other_account, end_time=hour)  # never counted for main
    return made


def _stamp(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


# A bound is some hour in the last 3 days, moved by -1, 0 or +1 second or half an hour.
moments = st.builds(
    lambda hours, nudge: ON_HOUR - hours * HOUR + timedelta(seconds=nudge),
    st.integers(0, 72),
    st.sampled_from([-1, 0, 0, 1, 1800]),
)
LOWER_OPS = {"end_time__gt": "gt", "end_time__gte": "gte"}
UPPER_OPS = {"end_time__lt": "lt", "end_time__lte": "lte"}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    lower=st.none() | st.tuples(st.sampled_from(sorted(LOWER_OPS)), moments),
    upper=st.none() | st.tuples(st.sampled_from(sorted(UPPER_OPS)), moments),
    limit=st.sampled_from([3, 7, 20]),
)
def test_total_count_equals_count_and_the_walk(calls_on_edges, main_account, lower, upper, limit):
    cache.clear()  # the clock is frozen: keep the throttles out of the property
    params = {"limit": limit}
    window = Call.objects.filter(account=main_account)
    for bound, ops in ((lower, LOWER_OPS), (upper, UPPER_OPS)):
        if bound:
            name, moment = bound
            params[name] = _stamp(moment)
            window = window.filter(**{f"end_time__{ops[name]}": moment})
    if lower is None:  # the default spans: 7 days back from the upper bound or now
        start = upper[1] - timedelta(days=7) if upper else NOW - timedelta(days=7)
        window = window.filter(end_time__gte=start)
    if upper is None:
        window = window.filter(end_time__lte=NOW)
    client = Client()
    response = client.get(
        f"/v1/Account/{main_account.auth_id}/Zentrunk/Call/", params, **basic(main_account)
    )
    if lower and (lower[1] > NOW or (upper and lower[1] > upper[1])):
        assert response.status_code == 400  # in the future, or an upside-down window
        return
    assert response.status_code == 200, response.content
    expected = window.count()
    assert response.json()["meta"]["total_count"] == expected

    walked: list[str] = []
    body = response.json()
    while True:
        walked += [obj["call_uuid"] for obj in body["objects"]]
        if body["meta"]["next"] is None:
            break
        body = client.get(body["meta"]["next"], **basic(main_account)).json()
    assert len(walked) == len(set(walked)) == expected
    assert set(walked) == {str(u) for u in window.values_list("call_uuid", flat=True)}


def test_a_strict_lower_bound_on_an_hour_leaves_out_the_call_ending_on_it(
    frozen, plivo, main_account
):
    on_hour = ON_HOUR - 2 * HOUR
    CallFactory(account=main_account, end_time=on_hour)
    kept = CallFactory(account=main_account, end_time=on_hour + timedelta(minutes=30))
    body = plivo(main_account, end_time__gt=_stamp(on_hour)).json()
    assert [obj["call_uuid"] for obj in body["objects"]] == [str(kept.call_uuid)]
    assert body["meta"]["total_count"] == 1
    assert body["meta"]["next"] is None
