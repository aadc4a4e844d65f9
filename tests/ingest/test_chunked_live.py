"""A body sent chunked (no Content-Length: curl -T -, requests with a generator) through
gunicorn: read whole and stored, and bounded by the endpoint's limit. Django reads such
a body as empty, so it used to be answered "not valid JSON (Expecting value)"."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from calls.ingest import fs_sample

pytestmark = pytest.mark.postgres  # no django_db mark: see test_freeswitch_live.py


def post_chunked(port: int, auth: str, path: str, chunks: Iterator[bytes]):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=chunks, encode_chunked=True, headers={
            "Authorization": auth, "Content-Type": "application/json",
            "Transfer-Encoding": "chunked"})  # fmt: skip
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_a_chunked_cdr_is_read_whole_and_stored(live):
    port, tenant = live
    text = fs_sample.cdr().encode()
    pieces = iter([text[:1000], text[1000:3000], text[3000:]])
    status, answer = post_chunked(port, tenant.write, "/ingest/v1/freeswitch", pieces)
    assert (status, answer["status"]) == (201, "stored"), answer


def test_a_chunked_body_over_the_limit_is_a_413(live):
    port, tenant = live
    spaces = (b" " * 65536 for _ in range(20))  # 1.25 MB, over MAX_BODY_BYTES
    status, answer = post_chunked(port, tenant.write, "/ingest/v1/kamailio", spaces)
    assert status == 413 and "larger than" in answer["error"], answer


@pytest.mark.django_db
def test_the_endpoints_are_routed():
    """(Also what makes a run of this module alone set the test database up.)"""
    from django.urls import reverse

    assert reverse("ingest-freeswitch") == "/ingest/v1/freeswitch"
