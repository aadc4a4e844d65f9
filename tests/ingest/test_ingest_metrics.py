"""Live ingestion's rows in /metrics: stored, duplicate and rejected, per source."""

import json

import pytest
from django.test import Client

from calls.ingest import fs_sample
from tests.factories import BearerTokenFactory
from tests.ingest.test_service import plivo_record
from tests.test_metrics import TOKEN, scrape, value

pytestmark = pytest.mark.django_db
NAME = "cdrapi_import_rows_total"


def test_ingested_rows_are_counted_per_source_and_outcome(settings, main_account):
    settings.METRICS_TOKEN = TOKEN
    token = BearerTokenFactory(account=main_account, scopes=["calls.write"])
    writer = Client(HTTP_AUTHORIZATION=f"Bearer {token.raw_secret}")
    before = scrape()
    good = plivo_record()
    batch = [good, good, plivo_record(bill_duration=999)]
    assert writer.post("/ingest/v1/calls", json.dumps(batch), "application/json").status_code == 422
    cdr = fs_sample.cdr()
    for _ in range(2):
        writer.post("/ingest/v1/freeswitch", cdr, "application/json")
    writer.post("/ingest/v1/freeswitch", b"{broken", "application/json")
    after = scrape()

    def delta(source: str, outcome: str) -> float:
        labels = {"source": source, "outcome": outcome}
        return value(after, NAME, **labels) - value(before, NAME, **labels)

    assert [delta("ingest_calls", o) for o in ("stored", "duplicate", "rejected")] == [1, 1, 1]
    assert [delta("ingest_freeswitch", o) for o in ("stored", "duplicate", "rejected")] == [1, 1, 1]
