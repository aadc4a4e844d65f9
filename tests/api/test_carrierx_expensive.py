"""The CarrierX queries the vendor allows but no index serves (order by any field, ilike
'%x%', total=true over 90 days) are answered in full within the statement timeout, and cut
cleanly with a 503 and Retry-After beyond it: never a hung worker, never a 500."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from calls.bulk.seed import call_seed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
EXPENSIVE = [
    {"order": "number_src asc"},
    {"order": "duration desc", "limit": "1000"},
    {"filter": "number_src ilike '%55%'"},
    {"filter": "number_dst like '%0%'", "total": "true"},
    {"total": "true"},
    {"filter": "date_stop ge '2000-01-01T00:00:00Z'", "total": "true", "order": "number_dst"},
]


@pytest.fixture
def crowded(main_account, bearer):
    now = datetime.now(UTC).replace(microsecond=0)
    call_seed(account_ids=[main_account.pk], count=30_000, days=89, seed=3, now=now)
    _, secret = bearer(main_account)
    return secret


def _get(secret, params):
    return Client().get("/core/v2/calls/call_drs", params, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_expensive_queries_answer_within_the_timeout(crowded):
    for params in EXPENSIVE:
        response = _get(crowded, params)
        assert response.status_code == 200, (params, response.content[:300])
        if params.get("total"):
            assert response.json()["total"] > 0


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # a cut statement aborts its transaction
def test_expensive_queries_beyond_the_timeout_are_a_clean_503(crowded):
    for params in EXPENSIVE:
        with connection.cursor() as cur:
            cur.execute("SET statement_timeout = 1")  # ms: far below a full read of 30k rows
        response = _get(crowded, params)
        with connection.cursor() as cur:
            cur.execute("RESET statement_timeout")
        assert response.status_code == 503, (params, response.content[:300])
        assert response["Retry-After"]
        body = response.json()
        assert set(body) == {"message", "errors"} and body["errors"][0]["field"] == "database"
