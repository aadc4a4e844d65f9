"""A path no view serves, under either API's prefix (typos included), is a 404 in that
face's JSON error shape, never Django's HTML page."""

import pytest
from django.test import Client

PLIVO_TYPOS = ["/v1/Account/X/Calls/", "/V1/Account/X/Call/", "//v1/Account/X/Call/", "/v1",
               "/v1/", "/v1/Account/"]  # fmt: skip
CARRIERX_TYPOS = ["/core/v2/calls/call_drz", "/CORE/v2/calls/call_drs", "//core/v2/calls/call_drs",
                  "/core", "/core/v1/calls/call_drs", "/core/v2/calls/call_drs/a/b"]  # fmt: skip


def _get(path: str):
    # PATH_INFO as a server passes it: the test client would read "//v1/…" as a host name.
    return Client().get(path, PATH_INFO=path)


@pytest.mark.parametrize("path", PLIVO_TYPOS)
def test_unknown_plivo_paths_answer_in_plivo_shape(db, path):
    response = _get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"api_id", "error"}


@pytest.mark.parametrize("path", CARRIERX_TYPOS)
def test_unknown_carrierx_paths_answer_in_carrierx_shape(db, path):
    response = _get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"message", "errors"} and body["errors"][0]["field"] == "path"


def test_other_unknown_paths_keep_the_html_page(db):
    response = _get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
