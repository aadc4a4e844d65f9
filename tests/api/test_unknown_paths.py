"""A path no view serves, under either API's prefix (typos included), is a 404 in that
face's JSON error shape, never Django's HTML page; with DEBUG on too (`make run`), where
Django would answer its technical page listing every URL pattern."""

import pytest
from django.test import Client

PLIVO_TYPOS = ["/v1/Account/X/Calls/", "/V1/Account/X/Call/", "//v1/Account/X/Call/", "/v1",
               "/v1/", "/v1/Account/"]  # fmt: skip
CARRIERX_TYPOS = ["/core/v2/calls/call_drz", "/CORE/v2/calls/call_drs", "//core/v2/calls/call_drs",
                  "/core", "/core/v1/calls/call_drs", "/core/v2/calls/call_drs/a/b"]  # fmt: skip
# CarrierX's own paths have no trailing slash, and neither have ours (docs/carrierx.md).
CARRIERX_SLASHED = ["/core/v2/calls/call_drs/",
                    "/core/v2/calls/call_drs/c02a73b2-8401-459a-af7e-f4cc3eee7854/"]  # fmt: skip


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def _get(path: str, **headers):
    # PATH_INFO as a server passes it: the test client would read "//v1/…" as a host name.
    return Client().get(path, PATH_INFO=path, **headers)


@pytest.mark.parametrize("path", PLIVO_TYPOS)
def test_unknown_plivo_paths_answer_in_plivo_shape(db, debug, path):
    response = _get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"api_id", "error"}


@pytest.mark.parametrize("path", CARRIERX_TYPOS)
def test_unknown_carrierx_paths_answer_in_carrierx_shape(db, debug, path):
    response = _get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"message", "errors"} and body["errors"][0]["field"] == "path"


@pytest.mark.parametrize("path", CARRIERX_SLASHED)
def test_a_carrierx_path_with_a_trailing_slash_is_a_404_that_says_so(db, debug, path):
    response = _get(path)
    assert response.status_code == 404
    assert response.json()["errors"] == [{"field": "path", "message": (
        "No such endpoint: the CarrierX paths end without a slash; see /api/docs/.")}]  # fmt: skip


@pytest.mark.parametrize("path", ["/ingest/v1/call", "/ingest", "/ingest/", "//Ingest/v1"])
def test_an_unknown_ingest_path_answers_in_json(db, debug, path):
    response = _get(path)
    assert response.status_code == 404
    assert "live ingestion takes POST /ingest/v1/freeswitch" in response.json()["error"]


def test_a_plivo_path_without_its_slash_is_still_redirected(db, debug):
    response = _get("/v1/Account/MAXXXXXXXXXXXXXXXXXX/Call")
    assert response.status_code == 301
    assert response["Location"] == "/v1/Account/MAXXXXXXXXXXXXXXXXXX/Call/"


def test_a_host_not_served_is_a_json_400_under_the_api_prefixes(db, debug):
    response = _get("/v1/Account/X/Call/", HTTP_HOST="elsewhere.example")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "Host is not served here" in response.json()["error"]


def test_other_unknown_paths_keep_the_html_page(db, debug):
    response = _get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
