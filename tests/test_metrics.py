"""/metrics: who may scrape it, and that the counters move; under gunicorn, the workers'
counters (and an import command's) added up in multiprocess mode."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from calls.bulk.imports import call_import
from cdrapi.env import env_networks
from tests.api.conftest import basic
from tests.servers import get, gunicorn, manage, new_account

PLIVO = "/v1/Account/{}/Call/"
TOKEN = "metrics-" + "t" * 32


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of a Prometheus text page."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(page: dict, name: str, **labels) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client=None) -> dict:
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def plivo_record(**overrides) -> dict:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return {
        "call_uuid": str(uuid.uuid4()), "call_direction": "outbound",
        "from_number": "+14158572518", "to_number": "14153268174",
        "initiation_time": str(end - timedelta(seconds=70)),
        "answer_time": str(end - timedelta(seconds=60)), "end_time": str(end),
        "bill_duration": 60, "hangup_cause_code": 4000, "hangup_source": "customer",
        **overrides,
    }  # fmt: skip


# --- who may scrape ---------------------------------------------------------------------------
def test_nobody_is_served_when_nothing_is_configured(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = "", ()
    response = Client().get("/metrics")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")  # not an API face's body
    assert b"cdrapi_" not in response.content


@pytest.mark.django_db
def test_the_token_is_required_and_checked(settings):
    settings.METRICS_TOKEN = TOKEN
    missing = Client().get("/metrics")
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    basic_auth = Client().get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    for response in (missing, wrong, basic_auth):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"cdrapi_" not in response.content
    assert (
        b"cdrapi_requests_total"
        in Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content
    )


@pytest.mark.django_db
def test_wrong_tokens_count_towards_the_lockout(settings):
    settings.METRICS_TOKEN, settings.THROTTLE_FAILED_AUTH = TOKEN, "3/1m"
    guesser = Client(REMOTE_ADDR="203.0.113.90")
    codes = [guesser.get("/metrics", HTTP_AUTHORIZATION=f"Bearer guess{i}").status_code
             for i in range(4)]  # fmt: skip
    assert codes == [401, 401, 401, 429]
    locked = guesser.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert locked.status_code == 429 and int(locked["Retry-After"]) >= 1


@pytest.mark.django_db
def test_allowed_addresses_need_no_token(settings, monkeypatch):
    monkeypatch.setenv("METRICS_ALLOW", "10.1.0.0/16, 192.0.2.7")
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = "", env_networks("METRICS_ALLOW")
    assert Client(REMOTE_ADDR="10.1.200.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.8").get("/metrics").status_code == 403
    # The address is cdrapi/addresses.py's: a client cannot write itself into the list.
    spoofed = Client(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="10.1.0.1")
    assert spoofed.get("/metrics").status_code == 403
    settings.NUM_PROXIES = 1
    proxied = Client(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="10.1.0.1")
    assert proxied.get("/metrics").status_code == 200


# --- the counters move ------------------------------------------------------------------------
@pytest.mark.django_db
def test_requests_latency_database_time_and_throttles_are_counted(settings, main_account):
    settings.METRICS_TOKEN, settings.THROTTLE_PLIVO_ACCOUNT = TOKEN, "2/1m"
    route = {"route": "plivo-call-list", "method": "GET"}
    before = scrape()
    client = Client()
    codes = [client.get(PLIVO.format(main_account.auth_id), **basic(main_account)).status_code
             for _ in range(3)]  # fmt: skip
    client.get(f"/v1/Account/{main_account.auth_id}/Nothing/")
    after = scrape()
    assert codes == [200, 200, 429]

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("cdrapi_requests_total", **route, status="200") == 2
    assert moved("cdrapi_requests_total", **route, status="429") == 1
    assert moved("cdrapi_requests_total", route="unmatched", method="GET", status="404") == 1
    assert moved("cdrapi_request_duration_seconds_count", route="plivo-call-list") == 3
    assert moved("cdrapi_request_db_seconds_count", route="plivo-call-list") == 3
    assert moved("cdrapi_request_db_seconds_sum", route="plivo-call-list") > 0
    assert moved("cdrapi_throttled_requests_total", limit="plivo_account") == 1
    # No raw path (it carries account ids) ever becomes a label.
    assert main_account.auth_id not in str(list(after))


@pytest.mark.django_db
def test_imported_rows_are_counted_per_source_and_outcome(settings, main_account):
    settings.METRICS_TOKEN = TOKEN
    before = scrape()
    good = plivo_record()
    records = [(1, good), (2, good), (3, plivo_record(call_direction="sideways"))]
    summary = call_import(records=records, account=main_account)
    after = scrape()
    assert (summary.stored, summary.duplicates, summary.rejected) == (1, 1, 1)
    for outcome in ("stored", "duplicate", "rejected"):
        labels = {"source": "plivo", "outcome": outcome}
        assert (
            value(after, "cdrapi_import_rows_total", **labels)
            - value(before, "cdrapi_import_rows_total", **labels)
            == 1
        )


# --- gunicorn, multiprocess mode --------------------------------------------------------------
@pytest.mark.postgres
def test_every_worker_answers_for_all_workers_and_the_import_command(tmp_path, served_database):
    auth_id, headers = new_account(served_database)
    directory = tmp_path / "prometheus"
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory), "METRICS_TOKEN": TOKEN}
    (directory).mkdir()
    (directory / "counter_999999.db").write_bytes(b"left from a previous run")
    with gunicorn(workers=2, **env) as server:  # gunicorn.conf.py empties the directory
        for _ in range(30):
            assert get(server.port, PLIVO.format(auth_id), headers).status == 200
        records = tmp_path / "calls.jsonl"
        records.write_text(json.dumps(plivo_record()) + "\n" + json.dumps({"x": 1}) + "\n")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)  # the command's, too
        try:
            manage(served_database, "import_calls", str(records), "--account", auth_id, "-v", "0",
                   "--max-refused", "1")  # fmt: skip
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        pages = [samples(get(server.port, "/metrics", bearer).body.decode()) for _ in range(6)]
        pids = {name for name in os.listdir(directory) if name.startswith("counter_")}
    assert len(pids) >= 3  # two workers and the command wrote their own files
    for page in pages:  # whichever worker answered, it counted for both
        ok = {"route": "plivo-call-list", "method": "GET", "status": "200"}
        assert value(page, "cdrapi_requests_total", **ok) == 30
        assert value(page, "cdrapi_request_db_seconds_count", route="plivo-call-list") == 30
        assert value(page, "cdrapi_import_rows_total", source="plivo", outcome="stored") == 1
        assert value(page, "cdrapi_import_rows_total", source="plivo", outcome="rejected") == 1
