"""A long call at a steep rate whose amount the store cannot hold (total_amount has 14
digits, 5 after the point): that call is refused with its reason, the rest of its batch
stored. The database's `numeric field overflow` used to fail the whole batch (a 500 on
/ingest/v1/calls, a traceback from import_calls)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from calls.bulk.imports import call_import
from calls.ingest.service import store_documents
from calls.models import Call, Rate
from tests.rating.test_pricing import record

pytestmark = pytest.mark.django_db
STEEP = Decimal("999999999")  # a minute: the largest rate import_rates takes


@pytest.fixture
def steep(db):
    return Rate.objects.create(account=None, direction="outbound", prefix="99", rate=STEEP,
                               first_interval=60, next_interval=60)  # fmt: skip


def test_the_ingestion_service_refuses_the_call_and_stores_the_rest(steep, main_account):
    long_call, short_call, elsewhere = (record(to="+9912345", bill=7200),
                                        record(to="+9912345", bill=30), record())  # fmt: skip
    outcomes = store_documents("calls", [long_call, short_call, elsewhere], account=main_account)
    assert [o.status for o in outcomes] == ["rejected", "stored", "stored"]
    assert "beyond the store's 999999999.99999" in outcomes[0].reason
    assert Call.objects.get(call_uuid=short_call["call_uuid"]).total_amount == STEEP
    assert Call.objects.count() == 2


def test_import_calls_reports_the_call_and_stores_the_rest(steep, main_account):
    records = [record(to="+9912345", bill=7200), record()]
    lines = [(n, json.loads(json.dumps(r))) for n, r in enumerate(records, start=1)]
    summary = call_import(records=lines, account=main_account)
    assert (summary.read, summary.stored, summary.rejected) == (2, 1, 1)
    line, reason = summary.errors[0]
    assert line == 1 and "beyond the store's 999999999.99999" in reason  # its own line
    assert Call.objects.get().call_uuid.hex == records[1]["call_uuid"].replace("-", "")
