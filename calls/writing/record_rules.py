"""The record rules: what a stored call must satisfy, whatever brought it in (docs:
docs/ingest.md, "What is refused"). One implementation, used for every record of every
import; a failure is a RecordError naming the record's own fields.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NoReturn

from django.conf import settings

from calls.vocabulary.increments import MAX_INTERVAL

# The record rules' bounds (docs/ingest.md, "What is refused").
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # no real CDR is older; year 1 is a broken export
FUTURE_SLACK = timedelta(minutes=5)  # clock skew between a switch and us, no more
TOLERANCE = 1  # seconds: whole-second durations against times cut to any precision
TIMES = ("initiation_time", "answer_time", "end_time", "date_insert")
DURATIONS = ("call_duration", "duration", "bill_duration", "billed_duration")
# The record field behind each checked column, so that a reason names what the file says.
PLIVO_NAMES = {"date_insert": "end_time"}
CARRIERX_NAMES = {
    "initiation_time": "date_start", "answer_time": "date_talk", "end_time": "date_stop",
    "billed_duration": "duration_billing",
}  # fmt: skip


class RecordError(ValueError):
    """Why one record was rejected (a sentence for the operator)."""


def check_record(values: dict, names: dict[str, str], now: datetime) -> None:
    """Raise RecordError for a call no call can be (docs/ingest.md, "What is refused"):
    times out of range or out of order, a call that ended past retention, a negative
    duration, a duration longer than the times allow, talk time without an answer, a
    billed duration below the talked one or beyond any billing increment.

    Everything else is a real call as some vendor measures it: Plivo's Voice objects give
    `call_duration` as end - initiation, its SIP-trunking objects as end - answer, and an
    unanswered call may say 0; so call_duration is only bounded by end - initiation.
    The one place these rules live, for every way in. `names` maps a column to the
    record's own field name, for the reason.
    """
    for column in TIMES:
        if values[column] is not None:
            check_moment(names.get(column, column), values[column], now)
    start, answer, end = values["initiation_time"], values["answer_time"], values["end_time"]
    if start > end:
        _refuse(names, "{0} is after {1}", "initiation_time", "end_time")
    if answer is not None and answer < start:
        _refuse(names, "{0} is before {1}", "answer_time", "initiation_time")
    if answer is not None and answer > end:
        _refuse(names, "{0} is after {1}", "answer_time", "end_time")
    retention = settings.CALLS_RETENTION_DAYS
    if end < now - timedelta(days=retention):
        raise RecordError(
            f"the call ended {(now - end).days} days ago, past the {retention}-day retention"
        )
    for column in DURATIONS:
        if values[column] < 0:
            _refuse(names, "{0} is negative", column)
    span = (end - start).total_seconds()
    for column in ("call_duration", "duration"):
        if float(values[column]) > span + TOLERANCE:
            _refuse(
                names,
                "{0} is {got} s but {1} - {2} is {want} s",
                column,
                "end_time",
                "initiation_time",
                got=_seconds(values[column]),
                want=_seconds(span),
            )
    bill = values["bill_duration"]
    if answer is None and bill:
        _refuse(
            names, "{0} is {got} s but there is no {1}", "bill_duration", "answer_time", got=bill
        )
    talk = (end - answer).total_seconds() if answer is not None else 0.0
    if bill > talk + TOLERANCE:
        _refuse(
            names,
            "{0} is {got} s but {1} - {2} is {want} s",
            "bill_duration",
            "end_time",
            "answer_time",
            got=bill,
            want=_seconds(talk),
        )
    billed = values["billed_duration"]
    if billed and billed < bill - TOLERANCE:  # 0: not billed (free, or not rated yet)
        _refuse(
            names,
            "{0} ({got} s) is less than {1} ({want} s)",
            "billed_duration",
            "bill_duration",
            got=billed,
            want=bill,
        )
    if billed > bill + MAX_INTERVAL:
        _refuse(
            names,
            "{0} ({got} s) is more than {1} ({want} s) rounded up to any billing increment",
            "billed_duration",
            "bill_duration",
            got=billed,
            want=bill,
        )


def check_moment(name: str, moment: datetime, now: datetime) -> None:
    """Raise RecordError for a timestamp before EARLIEST or past now + FUTURE_SLACK."""
    if moment < EARLIEST:
        raise RecordError(f"{name} is before {EARLIEST:%Y-%m-%d}")
    if moment > now + FUTURE_SLACK:
        minutes = int(FUTURE_SLACK.total_seconds() // 60)
        raise RecordError(f"{name} is more than {minutes} minutes in the future")


def _refuse(names: dict[str, str], reason: str, *columns: str, **figures) -> NoReturn:
    """Raise RecordError with `reason`, {0}, {1}… being `columns` as the record names them
    (built only for a bad record: the rules run for every record of every import)."""
    raise RecordError(reason.format(*(names.get(c, c) for c in columns), **figures))


def _seconds(value: int | float | Decimal) -> str:
    return format(Decimal(str(value)).normalize(), "f")
