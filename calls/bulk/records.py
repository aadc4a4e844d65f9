"""Turning exported CDRs (Plivo call objects or CarrierX CDR objects) into call rows.

The field-name style is detected per file from the first record: `call_uuid` means
Plivo, `dr_sid` means CarrierX. Fields only one face has are derived for the other
(README, "Importing"): e.g. a CarrierX record's `hangup_cause_code` follows from its SIP
cause, a Plivo record's `duration` from its times. Every record then passes the record
rules (`check_record`): a call whose times and durations disagree is refused, not stored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from accounts.models import Account
from calls.bulk.record_rules import (
    CARRIERX_NAMES,
    PLIVO_NAMES,
    RecordError,
    check_moment,
    check_record,
)
from calls.models import DIRECTIONS, HANGUP_SOURCES, STIR_VERIFICATIONS, Call, normalise_number
from calls.query.values import parse_int

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
    try:
        if isinstance(value, bool):
            raise ValueError
        number = parse_int(str(value))  # the API's own rule: a 32-bit whole number
    except ValueError:
        raise RecordError(f"{name} is not a 32-bit whole number: {str(value)[:40]!r}") from None
    if number < 0 and not signed:
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
