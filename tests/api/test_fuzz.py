"""schemathesis against our own OpenAPI schema, in-process.

Every operation, positive and negative data, the phases schemathesis runs under pytest
(explicit examples, coverage of boundaries, random fuzzing): no 5xx, every response
conforms to the schema (status, content type, body), invalid input is rejected with a 4xx,
and no response carries another account's call. FUZZ_EXAMPLES scales the run (make fuzz).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS

from cdrapi.wsgi import application
from tests.api.conftest import basic
from tests.factories import CallFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# A schema-valid request may still be refused for its meaning (a 31-day window, an
# unknown account in the path): positive data is not required to succeed.
EXCLUDED = [check for check in CHECKS.get_all() if check.__name__ == "positive_data_acceptance"]


@pytest.fixture
def world(main_account, subaccount, other_account, bearer, settings):
    # schemathesis sends many requests with missing or malformed credentials from one
    # address; the failed-authentication lockout (tested in test_operations.py and
    # test_malformed_requests.py) would answer the later ones 429 instead of 401.
    settings.THROTTLE_FAILED_AUTH = "1000000/1s"
    mine = [CallFactory(account=main_account), CallFactory(account=subaccount)]
    foreign = CallFactory(account=other_account)
    _, secret = bearer(main_account, scopes=["calls.read", "calls.read_descendant"])
    return {"mine": mine, "foreign": str(foreign.call_uuid), "secret": secret,
            "main": main_account}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.usefixtures("wsgi_keeps_connection")
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema_under_fuzzing(case, world):
    if case.path.startswith("/v1/"):
        case.path_parameters = {**(case.path_parameters or {}), "auth_id": world["main"].auth_id}
        headers = basic(world["main"])
        headers = {"Authorization": headers["HTTP_AUTHORIZATION"]}
    else:
        headers = {"Authorization": f"Bearer {world['secret']}"}
    response = case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
    assert response.status_code < 500
    assert world["foreign"] not in response.text
