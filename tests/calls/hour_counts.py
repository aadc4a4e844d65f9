"""The count table next to its reference: a plain Python tally of the calls table."""

from collections import Counter

from django.db import connection

from calls.counting import hourly as counts
from calls.models import Call


def counted() -> dict:
    """(account_id, hour, product, direction, answered) -> calls, every row of the count
    table (zeros too)."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT account_id, hour, product, call_direction, answered, calls FROM {counts.TABLE}"
        )
        return {(a, h, p, d, ans): n for a, h, p, d, ans, n in cur.fetchall()}


def live() -> dict:
    """The same, tallied in Python from every stored call."""
    rows = Call.objects.values_list(
        "account_id", "end_time", "product", "call_direction", "bill_duration"
    )
    return dict(
        Counter(
            (a, t.replace(minute=0, second=0, microsecond=0), p, d, bill > 0)
            for a, t, p, d, bill in rows
        )
    )
