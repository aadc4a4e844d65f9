"""Fixtures shared by the count tests (hourly counts, remembered filter counts)."""

from datetime import UTC, datetime, timedelta

import pytest

from calls.bulk.seed import call_seed
from tests.calls import hour_counts
from tests.factories import CallFactory

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def spread(main_account, subaccount):
    """Calls of two accounts, both directions, over 30 days of partitions, and two in the
    default partition (before the first partition, and far ahead)."""
    call_seed(account_ids=[main_account.pk, subaccount.pk], count=600, days=30, seed=7, now=NOW)
    CallFactory(account=main_account, end_time=datetime(2999, 1, 1, 12, 30, tzinfo=UTC))
    CallFactory(account=subaccount, end_time=NOW - timedelta(days=400), call_direction="inbound")
    assert hour_counts.counted() == hour_counts.live()
    return main_account, subaccount
