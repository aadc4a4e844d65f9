"""Hour arithmetic in UTC, the one place hours are floored.

The count tables key calls by `date_trunc('hour', end_time, 'UTC')`; Python must floor
the same way. Flooring an aware datetime in another zone by `replace(minute=0)` is wrong
where the zone's offset is not whole hours (+05:30, +05:45), so every hour boundary is
taken here, after converting to UTC, and a naive datetime is refused outright.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
HOUR_OF = "date_trunc('hour', end_time, 'UTC')"  # the same floor, in SQL


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime has no meaning here and is a bug in the caller."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a naive datetime cannot be placed in an hour: {moment!r}")
    return moment.astimezone(UTC)


def floor_hour(moment: datetime) -> datetime:
    return utc(moment).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == utc(moment) else floor + HOUR
