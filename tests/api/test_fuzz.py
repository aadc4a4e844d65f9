"""schemathesis against our own OpenAPI schema, in-process.

Every operation, positive and negative data, the phases schemathesis runs under pytest
(explicit examples, coverage of boundaries, random fuzzing), and every check schemathesis
has by default: no 5xx, every response conforms to the schema (status,
content type, body), invalid input is rejected, valid input is accepted, and no response
carries another account's call. "Valid input is accepted" has one documented exception:
a schema-valid request may break a rule OpenAPI cannot state (two parameters together,
the clock, stored data); such a refusal passes only when its message is one of the closed
list in calls/query/rules.py. That check is tests/api/fuzz_hooks.py's, run in place of
schemathesis's built-in, as the command line runs it (docs/schema.md, "Fuzzing"). FUZZ_EXAMPLES
scales the run (make fuzz).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, find, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from calls.query import rules
from cdrapi.wsgi import application
from tests.api.conftest import basic
from tests.api.fuzz_hooks import broken_rule  # and registers the format and the check
from tests.factories import CallFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


# The read faces. The ingest endpoints (POST) are in the schema too, but their bodies are
# switch documents judged by the importer's rules, which no schema states: a generated
# "valid" body is a refused call (422), and fuzzing them would write calls. Their hostile
# input is tests/ingest/test_malformed_bodies.py's and test_hostile_values.py's (hypothesis);
# tests/api/test_openapi.py checks their real answers against the schema.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application).exclude(path_regex="^/ingest/")


def call_and_check(case, headers: dict):
    """Call, then run every default check, valid data's acceptance in the form that lets
    a documented rule through (tests/api/fuzz_hooks.py, which the CLI runs too)."""
    response = case.call(headers=headers)
    case.validate_response(response, headers=headers, transport_kwargs={"headers": headers},
                           excluded_checks=[positive_data_acceptance])  # fmt: skip
    return response


@pytest.fixture
def world(main_account, subaccount, other_account, bearer, settings):
    # schemathesis sends many requests with missing or malformed credentials from one
    # address; the failed-authentication lockout (tested in test_operations.py and
    # test_malformed_requests.py) would answer the later ones 429 instead of 401.
    settings.THROTTLE_FAILED_AUTH = settings.THROTTLE_FAILED_AUTH_ADDRESS = "1000000/1s"
    mine = [CallFactory(account=main_account), CallFactory(account=subaccount)]
    foreign = CallFactory(account=other_account)
    _, secret = bearer(main_account, scopes=["calls.read", "calls.read_descendant"])
    return {"mine": mine, "foreign": str(foreign.call_uuid), "secret": secret,
            "main": main_account}  # fmt: skip


def _headers(case, world) -> dict:
    """Real credentials and our own auth_id, except where a negative case mutated them:
    overwriting its invalid header or path would send a valid request that schemathesis
    still expects to be refused."""
    negative_at = case.meta.is_negative_at if case.meta else (lambda _location: False)
    if case.path.startswith("/v1/"):
        if not negative_at(ParameterLocation.PATH):
            auth_id = world["main"].auth_id
            case.path_parameters = {**(case.path_parameters or {}), "auth_id": auth_id}
        authorization = basic(world["main"])["HTTP_AUTHORIZATION"]
    else:
        authorization = f"Bearer {world['secret']}"
    if negative_at(ParameterLocation.HEADER):
        return {}
    return {"Authorization": authorization}


@pytest.mark.django_db
@pytest.mark.usefixtures("wsgi_keeps_connection")
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema_under_fuzzing(case, world):
    response = call_and_check(case, _headers(case, world))
    assert response.status_code < 500
    assert world["foreign"] not in response.text


def _positive_case(path: str, query: dict):
    """A case schemathesis generated as valid, with `query` put in (still valid)."""
    operation = schema[path]["GET"]
    case = find(operation.as_strategy(), lambda c: c.meta.generation.mode.is_positive)
    case.query = query
    return case


@pytest.mark.django_db
@pytest.mark.usefixtures("wsgi_keeps_connection")
def test_a_valid_request_refused_for_no_documented_rule_fails_the_fuzz(world, monkeypatch):
    # As if the schema promised more than the server takes: limit 10 is in the schema's
    # 1..1000, but this server now stops at 5.
    monkeypatch.setattr("calls.carrierx.views.MAX_LIMIT", 5)
    case = _positive_case("/core/v2/calls/call_drs", {"limit": 10})
    assert case.meta.generation.mode.is_positive
    with pytest.raises(FailureGroup) as failed:
        call_and_check(case, _headers(case, world))
    assert any(isinstance(f, RejectedPositiveData) for f in failed.value.exceptions)


@pytest.mark.django_db
@pytest.mark.usefixtures("wsgi_keeps_connection")
def test_a_valid_request_refused_for_a_documented_rule_passes_the_fuzz(world):
    sid = str(world["mine"][0].call_uuid)
    case = _positive_case("/core/v2/calls/call_drs", {"after": sid, "before": sid})
    assert case.meta.generation.mode.is_positive
    response = call_and_check(case, _headers(case, world))
    assert response.status_code == 400
    assert broken_rule(response) is rules.AFTER_AND_BEFORE


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_readmes_command_line_run_passes_against_a_live_server(
    live_server, main_account, bearer, settings
):
    # The docs' command (docs/schema.md, "Fuzzing") with this server's address and token and
    # a few examples: the hooks load in the CLI's own process, where Django is not set up.
    settings.THROTTLE_FAILED_AUTH = settings.THROTTLE_CARRIERX_TOKEN = "1000000/1s"
    CallFactory(account=main_account)
    _, secret = bearer(main_account, scopes=["calls.read", "calls.read_descendant"])
    root = Path(__file__).resolve().parent.parent.parent
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(SCHEMATHESIS_HOOKS="tests.api.fuzz_hooks", PYTHONPATH=".", DEBUG="1")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run",
         f"{live_server.url}/api/schema/?format=json", "-H", f"Authorization: Bearer {secret}",
         "--include-path-regex", "^/core/", "--exclude-checks", "positive_data_acceptance",
         "--max-examples", "10"],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 selected" in result.stdout and "Unable to load" not in result.stdout
