"""Oracle: random filters over random CDRs equal a plain Python filter; deep keyset pages
read no more rows than the first."""

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import NOW
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
URL = "/core/v2/calls/call_drs"


@pytest.fixture
def dataset(frozen, main_account, other_account):
    rng = random.Random(42)
    calls = []
    for _ in range(150):
        owner = main_account if rng.random() < 0.8 else other_account
        bill = rng.choice([0, 30, 60, 61, 600])
        calls.append(
            CallFactory(
                account=owner,
                end_time=NOW - timedelta(seconds=rng.randrange(1, 60 * 86400)),
                bill_duration=bill,
                answer_time=None if bill == 0 else NOW - timedelta(days=61),
                call_direction=rng.choice(["inbound", "outbound"]),
                from_number=rng.choice(["+1415", "1415", "+4420", "3314"])
                + f"{rng.randrange(10**6):06d}",
                codec_src=rng.choice(["pcmu", "pcma", "G722", "opus"]),
                cic=rng.choice([None, None, "0288"]),
                total_rate=Decimal(rng.choice(["0.00850", "0.01200"])),
                user_data=rng.choice([{}, {"team": "night"}, {"team": "day shift"}]),
            )
        )
    return calls


def _stamp(seconds_ago: int) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


CONDITIONS = {
    "direction": st.sampled_from(["eq inbound", "ne inbound", "in (inbound,outbound)"]),
    "number_src": st.sampled_from(
        ["like '+1415%'", "like '1415%'", "ilike '%20%'", "eq '+1415000001'"]
    ),
    "duration_billing": st.sampled_from(["ge 60", "lt 60", "eq 0", "gt 120"]),
    "price": st.sampled_from(["gt 0", "eq 0", "le 0.0085"]),
    "codec_src": st.sampled_from(["in (pcmu,opus)", "nin (pcmu)", "like 'g%'", "ilike 'g%'"]),
    "cic": st.sampled_from(["eq null", "ne null", "eq '0288'"]),
    "user_data.team": st.sampled_from(
        [
            "eq night",
            "eq 'day shift'",
            "like '%i%'",
            "ne night",
            "nin (night)",
            "eq null",
            "ne null",
        ]
    ),
    "date_stop": st.integers(86400, 25 * 86400).map(lambda s: f"ge {_stamp(s)}"),
}


def _matches(call, field, expr, partner):
    op, _, raw = expr.partition(" ")
    value = {
        "direction": call.call_direction,
        "number_src": call.from_number,
        "duration_billing": call.billed_duration,
        "price": call.total_amount,
        "codec_src": call.codec_src,
        "cic": call.cic,
        "user_data.team": call.user_data.get("team"),
        "date_stop": call.end_time,
    }[field]
    raw = raw.strip("'")
    if field.startswith("user_data.") and value is None and raw != "null":
        return False  # a CDR without the key: left out by every comparison but `eq null`
    if op in {"in", "nin"}:
        found = value in raw.strip("()").split(",")
        return found if op == "in" else not found
    if raw == "null":
        return (value is None) == (op == "eq")
    if op in {"like", "ilike"}:
        if value is None:
            return False
        import re

        pattern = "^" + re.escape(raw).replace("%", ".*") + "$"
        return re.match(pattern, value, re.IGNORECASE if op == "ilike" else 0) is not None
    if field == "date_stop":
        other = datetime.fromisoformat(raw[:-1]).replace(tzinfo=UTC)
    elif field in {"duration_billing"}:
        other = int(raw)
    elif field == "price":
        other = Decimal(raw)
    else:
        other = raw
    if value is None:
        return op == "ne"
    return {
        "eq": value == other,
        "ne": value != other,
        "gt": value > other,
        "ge": value >= other,
        "lt": value < other,
        "le": value <= other,
    }[op]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    chosen=st.dictionaries(
        st.sampled_from(sorted(CONDITIONS)), st.none(), min_size=1, max_size=3
    ).flatmap(lambda keys: st.fixed_dictionaries({k: CONDITIONS[k] for k in keys}))
)
def test_the_api_returns_what_a_plain_python_filter_returns(main_account, bearer, dataset, chosen):
    _, secret = bearer(main_account)
    expr = " and ".join(f"{field} {op}" for field, op in chosen.items())
    response = Client().get(
        URL,
        {"filter": expr, "limit": "1000", "total": "true"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, (expr, response.content)
    expected = sorted(
        (
            c
            for c in dataset
            if c.account_id == main_account.pk
            and all(_matches(c, f, e, None) for f, e in chosen.items())
        ),
        key=lambda c: (c.end_time, c.call_uuid),
        reverse=True,
    )
    body = response.json()
    assert [i["dr_sid"] for i in body["items"]] == [str(c.call_uuid) for c in expected], expr
    assert body["total"] == len(expected)


@pytest.mark.postgres
def test_a_deep_after_page_reads_as_few_rows_as_the_first(main_account, bearer, frozen):
    from calls.bulk.seed import call_seed

    call_seed(account_ids=[main_account.pk], count=6000, days=20, seed=1, now=NOW)
    _, secret = bearer(main_account)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    ordered = client.get(URL, {"limit": "1000", "include_fields": "dr_sid"}).json()["items"]

    def rows_read(anchor: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"after": anchor, "limit": "10"}).status_code == 200
        page_sql = ctx.captured_queries[-1]["sql"]
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + page_sql)
            plan = cur.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan

        def scanned(node) -> int:
            own = node.get("Actual Rows", 0) if "Scan" in node["Node Type"] else 0
            return own + sum(scanned(child) for child in node.get("Plans", []))

        return scanned(plan[0]["Plan"])

    shallow = rows_read(ordered[5]["dr_sid"])
    deep = rows_read(ordered[990]["dr_sid"])
    assert shallow <= 20
    assert deep <= shallow + 5
