"""Values a careless or hostile client can put in a body that JSON itself allows, found by
probing a live server (issue 16 review): each is a 4xx with a reason, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.factories import BearerTokenFactory

pytestmark = pytest.mark.django_db
HUGE_INT = "1" * 5000  # Python's json refuses integers over 4,300 digits: a plain ValueError


@pytest.fixture
def writer(main_account):
    token = BearerTokenFactory(account=main_account, scopes=["calls.write"])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.raw_secret}")


def refused(response, *statuses: int) -> dict:
    assert response.status_code in (statuses or (400, 422)), response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("endpoint", ["/ingest/v1/calls", "/ingest/v1/kamailio"])
@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_an_integer_too_long_for_python_is_a_400(writer, endpoint, content_type):
    body = '{"call_duration": ' + HUGE_INT + "}"
    response = writer.post(endpoint, body, content_type=content_type)
    answer = refused(response)  # 400 the body, or 422 a batch with that line refused
    assert "digits" in json.dumps(answer)
