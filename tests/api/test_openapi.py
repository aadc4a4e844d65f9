"""The OpenAPI schema: served, valid, and real responses conform to it."""

import pytest
import schemathesis
from drf_spectacular.validation import validate_schema

from cdrapi.wsgi import application
from tests.api.conftest import basic
from tests.factories import CallFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wsgi_keeps_connection")]


def test_the_schema_is_served_and_valid(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    validate_schema(document)  # raises on an invalid OpenAPI 3 document
    paths = set(document["paths"])
    assert paths == {
        "/v1/Account/{auth_id}/Call/", "/v1/Account/{auth_id}/Call/{call_uuid}/",
        "/v1/Account/{auth_id}/Zentrunk/Call/",
        "/v1/Account/{auth_id}/Zentrunk/Call/{call_uuid}/",
        "/core/v2/calls/call_drs", "/core/v2/calls/call_drs/{dr_sid}",
    }  # fmt: skip
    params = {p["name"] for p in document["paths"]["/v1/Account/{auth_id}/Call/"]["get"]
              ["parameters"]}  # fmt: skip
    assert {"from_number", "end_time__gte", "bill_duration__lt", "limit", "cursor"} <= params
    assert set(document["components"]["securitySchemes"]) == {
        "plivoBasicAuth",
        "carrierxBearerAuth",
    }


def test_interactive_docs_load_their_assets_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger-ui" in body and "cdn" not in body.lower()


def test_real_responses_conform_to_the_schema(main_account, other_account, bearer):
    call = CallFactory(account=main_account)
    _, secret = bearer(main_account)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    plivo = {"Authorization": basic(main_account)["HTTP_AUTHORIZATION"]}
    carrierx = {"Authorization": f"Bearer {secret}"}
    me, stranger = {"auth_id": main_account.auth_id}, {"auth_id": other_account.auth_id}
    cases = [
        ("/v1/Account/{auth_id}/Call/", me, {}, plivo, 200),
        ("/v1/Account/{auth_id}/Call/", me, {"limit": "abc"}, plivo, 400),
        ("/v1/Account/{auth_id}/Call/", me, {}, {}, 401),
        ("/v1/Account/{auth_id}/Call/", stranger, {}, plivo, 404),
        (
            "/v1/Account/{auth_id}/Call/{call_uuid}/",
            {**me, "call_uuid": str(call.call_uuid)},
            {},
            plivo,
            200,
        ),
        ("/core/v2/calls/call_drs", {}, {"total": "true"}, carrierx, 200),
        ("/core/v2/calls/call_drs", {}, {"filter": "x"}, carrierx, 400),
        ("/core/v2/calls/call_drs", {}, {"include_fields": "dr_sid"}, carrierx, 200),
        ("/core/v2/calls/call_drs/{dr_sid}", {"dr_sid": str(call.call_uuid)}, {}, carrierx, 200),
        ("/core/v2/calls/call_drs/{dr_sid}", {"dr_sid": "0" * 32}, {}, carrierx, 404),
        ("/core/v2/calls/call_drs", {}, {}, {"Authorization": "Bearer nope"}, 401),
    ]
    for template, path_parameters, query, headers, status in cases:
        operation = schema[template]["GET"]
        case = operation.Case(path_parameters=path_parameters, query=query, headers=headers)
        response = case.call()
        assert response.status_code == status, (template, query, response.text[:200])
        case.validate_response(response)  # raises if body, status or type break the schema
