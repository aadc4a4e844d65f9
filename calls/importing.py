"""Turning exported CDRs (Plivo call objects or CarrierX CDR objects) into call rows.

The field-name style is detected per file from the first record: `call_uuid` means
Plivo, `dr_sid` means CarrierX. Fields only one face has are derived for the other
(README, "Importing"): e.g. a CarrierX record's `hangup_cause_code` follows from its SIP
cause, a Plivo record's `duration` from its times. Every record then passes the record
rules (`check_record`): a call whose times and durations disagree is refused, not stored.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from django.utils import timezone

from accounts.models import Account
from calls.models import DIRECTIONS, HANGUP_SOURCES, STIR_VERIFICATIONS, Call, normalise_number

_NO_LIMIT = 1 << 30
_MAX_TEXT = {f.attname: f.max_length for f in Call._meta.concrete_fields if f.max_length}
# SIP final response -> Plivo hangup cause (README table).
SIP_TO_CAUSE = {
    "200": 4000, "404": 3030, "408": 3040, "480": 3020, "486": 3000, "487": 1000,
    "503": 8010, "600": 3000, "603": 3010,
}  # fmt: skip
ATTEST_TO_STIR = {"A": "Verified", "B": "Not Verified", "C": "Not Verified"}
CARRIERX_TEXT = (
    "number_billing", "number_external", "number_src_original", "number_src_transformed",
    "number_dst_original", "number_dst_transformed", "diversion_src", "diversion_dst", "cic",
    "cic_original", "cic_transformed", "codec_src", "codec_dst", "ip_src", "ip_dst",
    "sipcallid_src", "sipcallid_dst", "identity", "stir_attest", "stir_identity",
    "stir_orig_id", "stir_signing_entity", "stir_verstat",
)  # fmt: skip
CARRIERX_UUIDS = (
    "trunk_sid_src", "trunk_sid_dst", "trunk_group_sid_src", "trunk_group_sid_dst",
    "endpoint_sid_src", "endpoint_sid_dst",
)  # fmt: skip
CARRIERX_MONEY = ("price_lcr_src", "price_lcr_dst", "rate_lcr_src", "rate_lcr_dst")


_INT = re.compile(r"-?[0-9]{1,12}", re.ASCII)

# The record rules' bounds (README, "What the importer refuses").
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


def detect_style(record: dict) -> str:
    if "call_uuid" in record:
        return "plivo"
    if "dr_sid" in record:
        return "carrierx"
    raise RecordError(
        "cannot tell the field names: a record needs call_uuid (Plivo) or dr_sid (CarrierX)"
    )


def parse_records(
    records: Iterable[tuple[int, dict | RecordError]], *, account: Account | None
) -> Iterator[tuple[int, dict | RecordError]]:
    """(line, column values) for each good record, (line, RecordError) for each bad one.

    All records of one file share a style, so their dicts share their keys (the columns
    that style fills): callers can turn them into COPY rows with one `columns` list.
    """
    style = None
    partners: dict[str, int | None] = {}
    for line, record in records:
        if isinstance(record, RecordError):  # the reader could not parse the line
            yield line, record
            continue
        try:
            if not isinstance(record, dict):
                raise RecordError("not an object")
            style = style or detect_style(record)
            now = timezone.now()
            if style == "plivo":
                values = _plivo(record, now)
                check_record(values, PLIVO_NAMES, now)
            else:
                values = _carrierx(record, now)
                check_record(values, CARRIERX_NAMES, now)
            values["account_id"] = _account_id(record, account, partners)
            values["from_number_norm"] = normalise_number(values["from_number"])
            values["to_number_norm"] = normalise_number(values["to_number"])
            for name, value in values.items():
                if type(value) is str and len(value) > _MAX_TEXT.get(name, _NO_LIMIT):
                    raise RecordError(f"{name} is longer than {_MAX_TEXT[name]} characters")
            yield line, values
        except RecordError as exc:
            yield line, exc


def _account_id(record: dict, account: Account | None, partners: dict) -> int:
    if account is not None:
        return account.pk
    sid = record.get("partner_sid")
    if not sid:
        raise RecordError("no account: pass --account AUTH_ID (the record has no partner_sid)")
    if sid not in partners:
        found = Account.objects.filter(partner_sid=_uuid(sid, "partner_sid")).first()
        partners[sid] = found.pk if found else None
    if partners[sid] is None:
        raise RecordError(f"no account has partner_sid {str(sid)[:40]}")
    return partners[sid]


# --- the record rules ---------------------------------------------------------------------
def check_record(values: dict, names: dict[str, str], now: datetime) -> None:
    """Raise RecordError unless the call's times are sane and in order and its durations
    agree with them (within TOLERANCE).

    The one place these rules live: what fails here would be served as a negative or
    impossible call, or abort a whole import at the database. `names` maps a column to
    the record's own field name, for the reason.
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
    for column in DURATIONS:
        if values[column] < 0:
            _refuse(names, "{0} is negative", column)
    span = (end - start).total_seconds()
    for column in ("call_duration", "duration"):
        if abs(float(values[column]) - span) > TOLERANCE:
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
    if abs(bill - talk) > TOLERANCE:
        _refuse(
            names,
            "{0} is {got} s but {1} - {2} is {want} s",
            "bill_duration",
            "end_time",
            "answer_time",
            got=bill,
            want=_seconds(talk),
        )
    if bill > values["call_duration"]:
        _refuse(
            names,
            "{0} ({got} s) is longer than {1} ({want} s)",
            "bill_duration",
            "call_duration",
            got=bill,
            want=values["call_duration"],
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


# --- the two styles -------------------------------------------------------------------------
def _plivo(r: dict, now: datetime) -> dict:
    end = _time(r, "end_time", now, required=True)
    answer = _time(r, "answer_time", now)
    call_duration = _int(r, "call_duration")
    start = _time(r, "initiation_time", now)
    if start is None:
        if call_duration is None:
            raise RecordError("initiation_time or call_duration is required")
        start = end - timedelta(seconds=call_duration)
    if call_duration is None:
        call_duration = int((end - start).total_seconds())
    bill = _int(r, "bill_duration")
    if bill is None:
        bill = int((end - answer).total_seconds()) if answer else 0
    billed = _int(r, "billed_duration")
    return {
        "call_uuid": _uuid(r.get("call_uuid"), "call_uuid", required=True),
        "parent_call_uuid": _uuid(r.get("parent_call_uuid"), "parent_call_uuid"),
        "from_number": _text(r, "from_number", required=True),
        "to_number": _text(r, "to_number", required=True),
        "call_direction": _choice(r, "call_direction", DIRECTIONS, required=True),
        "initiation_time": start,
        "answer_time": answer,
        "end_time": end,
        "date_insert": end,
        "call_duration": call_duration,
        "duration": Decimal(str((end - start).total_seconds())).quantize(Decimal("0.00001")),
        "bill_duration": bill,
        "billed_duration": bill if billed is None else billed,
        "total_amount": _money(r, "total_amount") or Decimal(0),
        "total_rate": _money(r, "total_rate") or Decimal(0),
        "hangup_cause_code": _int(r, "hangup_cause_code", signed=True) or 0,
        "hangup_source": _choice(r, "hangup_source", HANGUP_SOURCES) or "customer",
        "stir_verification": _choice(r, "stir_verification", STIR_VERIFICATIONS)
        or "Not Applicable",
        "sipcause": "",
        "disconnect_originator": "",
        "transcoded": False,
        "type": "telecom",
        "user_data": "{}",
        "version": 2,
    }


def _carrierx(r: dict, now: datetime) -> dict:
    end = _time(r, "date_stop", now, required=True)
    start = _time(r, "date_start", now, required=True)
    talk = _time(r, "date_talk", now)
    direction = _choice(r, "direction", DIRECTIONS, required=True)
    duration = _money(r, "duration")
    if duration is None:
        duration = Decimal(str((end - start).total_seconds())).quantize(Decimal("0.00001"))
    bill = int((end - talk).total_seconds()) if talk else 0
    billed = _int(r, "duration_billing")
    sipcause = _text(r, "sipcause") or ""
    originator = (_text(r, "disconnect_originator") or "").upper()
    customer_side = "SRC" if direction == "outbound" else "DST"
    user_data = r.get("user_data") or {}
    if isinstance(user_data, str):
        try:
            user_data = json.loads(user_data)
        except ValueError:
            raise RecordError("user_data is not a JSON object") from None
    if not isinstance(user_data, dict):
        raise RecordError("user_data is not a JSON object")
    values = {
        "call_uuid": _uuid(r.get("dr_sid"), "dr_sid", required=True),
        "parent_call_uuid": None,
        "from_number": _text(r, "number_src", required=True),
        "to_number": _text(r, "number_dst", required=True),
        "call_direction": direction,
        "initiation_time": start,
        "answer_time": talk,
        "end_time": end,
        "date_insert": _time(r, "date_insert", now) or end,
        "call_duration": int((end - start).total_seconds()),
        "duration": duration,
        "bill_duration": bill,
        "billed_duration": bill if billed is None else billed,
        "total_amount": _money(r, "price") or Decimal(0),
        "total_rate": _money(r, "rate") or Decimal(0),
        "hangup_cause_code": SIP_TO_CAUSE.get(sipcause, 0),
        "hangup_source": "customer" if originator == customer_side else "carrier",
        "stir_verification": ATTEST_TO_STIR.get(r.get("stir_attest") or "", "Not Applicable"),
        "sipcause": sipcause,
        "disconnect_originator": originator,
        "transcoded": _bool(r, "transcoded"),
        "type": _text(r, "type") or "telecom",
        "user_data": json.dumps(user_data),
        "version": _int(r, "version") or 2,
    }
    for name in CARRIERX_TEXT:
        values[name] = _text(r, name)
    for name in CARRIERX_UUIDS:
        values[name] = _uuid(r.get(name), name)
    for name in CARRIERX_MONEY:
        values[name] = _money(r, name)
    return values


# --- field parsers ------------------------------------------------------------------------
def _missing(value) -> bool:
    return value is None or value == ""


def _text(r: dict, name: str, required: bool = False) -> str | None:
    value = r.get(name)
    if _missing(value):
        if required:
            raise RecordError(f"{name} is required")
        return None
    if not isinstance(value, str | int):
        raise RecordError(f"{name} must be text")
    text = str(value)
    if "\x00" in text:
        raise RecordError(f"{name} contains a NUL character")
    return text


def _uuid(value, name: str, required: bool = False) -> uuid.UUID | None:
    if _missing(value):
        if required:
            raise RecordError(f"{name} is required")
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise RecordError(f"{name} is not a UUID: {str(value)[:40]!r}") from None


def _time(r: dict, name: str, now: datetime, required: bool = False) -> datetime | None:
    """The timestamp, in UTC; checked against the sane range at once, so that nothing
    derived from it (end - call_duration, a change of zone) can overflow."""
    value = r.get(name)
    if _missing(value):
        if required:
            raise RecordError(f"{name} is required")
        return None
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(f"{name} is not a date and time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    check_moment(name, moment, now)
    return moment.astimezone(UTC)


def _int(r: dict, name: str, signed: bool = False) -> int | None:
    value = r.get(name)
    if _missing(value):
        return None
    if isinstance(value, bool) or not _INT.fullmatch(str(value)):
        raise RecordError(f"{name} is not a whole number: {str(value)[:40]!r}")
    number = int(str(value))
    if (number < 0 and not signed) or abs(number) > 2**31 - 1:
        raise RecordError(f"{name} is out of range: {number}")
    return number


def _money(r: dict, name: str) -> Decimal | None:
    value = r.get(name)
    if _missing(value):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{name} is not a decimal number: {str(value)[:40]!r}") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e9"):
        raise RecordError(f"{name} is out of range: {str(value)[:40]}")
    return amount.quantize(Decimal("0.00001"))


def _choice(r: dict, name: str, choices: tuple, required: bool = False) -> str | None:
    value = r.get(name)
    if _missing(value):
        if required:
            raise RecordError(f"{name} is required")
        return None
    if value not in choices:
        raise RecordError(f"{name} must be one of {', '.join(choices)}; got {str(value)[:40]!r}")
    return value


def _bool(r: dict, name: str) -> bool:
    value = r.get(name)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "1", "t", "yes"}
