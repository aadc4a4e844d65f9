"""Published and hand-written records carry fixed dates; calls past retention are refused,
so tests move those dates into the window, keeping each timestamp's own format."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?=[ T]\d{2}:\d{2})")


def days_to_move(newest: date, days_ago: int = 3) -> int:
    """Whole days that bring `newest` to `days_ago` days before today (UTC)."""
    return (timezone.now().date() - timedelta(days=days_ago) - newest).days


def moved(value: Any, days: int) -> Any:
    """`value` (a record, a list, a string) with the date of every timestamp string moved
    by `days` whole days: times of day, offsets and spelling stay as they were."""
    if isinstance(value, dict):
        return {key: moved(item, days) for key, item in value.items()}
    if isinstance(value, list):
        return [moved(item, days) for item in value]
    if isinstance(value, str) and (match := _DATE.match(value)):
        day = date(*map(int, match.groups())) + timedelta(days=days)
        return day.isoformat() + value[10:]
    return value


def into_window(record: Any, newest: date, days_ago: int = 3) -> Any:
    """`record` moved so that its date `newest` becomes `days_ago` days before today."""
    return moved(record, days_to_move(newest, days_ago))
