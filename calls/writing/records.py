"""Turning exported CDRs (Plivo call objects or CarrierX CDR objects) into call rows.

The field-name style is detected per file from the first record: `call_uuid` means Plivo,
`dr_sid` means CarrierX. Fields only one face has are derived for the other
(docs/operations.md, "import_calls"): e.g. a CarrierX record's `hangup_cause_code` follows
from its SIP cause, a Plivo record's `duration` from its times. Every record then passes
the record rules (`check_record`): a call whose times and durations disagree is refused,
not stored.

Each record is a Voice or a SIP-trunking (Zentrunk) call: its `product` key, or the
importer's `product` for every record, else Zentrunk. Its hangup source must be one of
its product's (an alias is stored as the canonical name); the Zentrunk and Insights
fields are read when present, and a missing country is derived from the number.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from accounts.models import Account
from calls.models import Call, normalise_number
from calls.rating.pricing import PRICED
from calls.vocabulary.choices import (
    ATTESTATIONS,
    DIRECTIONS,
    PRODUCTS,
    STIR_VERIFICATIONS,
    TRANSPORTS,
    VOICE,
    ZENTRUNK,
)
from calls.vocabulary.hangup import cause_for_sip
from calls.writing.countries import country_of
from calls.writing.record_fields import (
    CENTS,
    MISSING,
    SMALLINT_MAX,
    _bool,
    _choice,
    _country,
    _int,
    _json_object,
    _measure,
    _money,
    _source,
    _text,
    _time,
    _uuid,
)
from calls.writing.record_rules import (
    CARRIERX_NAMES,
    PLIVO_NAMES,
    RecordError,
    check_record,
)

_PRICE_FIELD = {"plivo": "total_amount", "carrierx": "price"}
_MAX_TEXT = {f.attname: f.max_length for f in Call._meta.concrete_fields if f.max_length}
# Each style's bounded columns, found once per process (the live endpoints and the broker
# parse one record per call).
_LIMITS: dict[str, list[tuple[str, int]]] = {}
ATTEST_TO_STIR = {"A": "Verified", "B": "Not Verified", "C": "Not Verified"}
log = logging.getLogger("cdrapi.import")
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
# The source a record without one gets: Zentrunk's customer (as before products), Voice's
# own "Unknown".
# The Zentrunk call object's trunk fields: a Voice call has none.
TRUNK_FIELDS = ("trunk_domain", "transport_protocol", "srtp", "secure_trunking",
                "secure_trunking_rate")  # fmt: skip
# Call quality (Insights), each with its unit's range.
QUALITY_RANGES = {
    "rtt": (0, 100_000), "jitter": (0, 100_000), "packet_loss": (0, 100),
    "post_dial_delay": (0, 86_400), "quality_score": (1, 5),
}  # fmt: skip


def detect_style(record: dict) -> str:
    if "call_uuid" in record:
        return "plivo"
    if "dr_sid" in record:
        return "carrierx"
    raise RecordError(
        "cannot tell the field names: a record needs call_uuid (Plivo) or dr_sid (CarrierX)"
    )


def parse_records(
    records: Iterable[tuple[int, dict | RecordError]],
    *,
    account: Account | None,
    product: str | None = None,
) -> Iterator[tuple[int, dict | RecordError]]:
    """(line, column values) for each good record, (line, RecordError) for each bad one.

    All records of one file share a style, so their dicts share their keys (the columns
    that style fills): callers can turn them into COPY rows with one `columns` list.
    `product` ("voice", "zentrunk") overrides each record's own `product` key.
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
            now = datetime.now(UTC)  # timezone.now() under USE_TZ, without its settings read
            kind = product or _choice(record, "product", PRODUCTS) or ZENTRUNK
            if style == "plivo":
                values = _plivo(record, now, kind)
                check_record(values, PLIVO_NAMES, now)
            else:
                values = _carrierx(record, now, kind)
                check_record(values, CARRIERX_NAMES, now)
            _product_fields(record, values, kind)
            values[PRICED] = record.get(_PRICE_FIELD[style]) not in MISSING
            values["account_id"] = _account_id(record, account, partners)
            values["from_number_norm"] = normalise_number(values["from_number"])
            values["to_number_norm"] = normalise_number(values["to_number"])
            limits = _LIMITS.get(style)
            if limits is None:  # a style's rows share their keys: the bounded ones, once
                limits = _LIMITS[style] = [(n, _MAX_TEXT[n]) for n in values if n in _MAX_TEXT]
            for name, limit in limits:
                value = values[name]
                if type(value) is str and len(value) > limit:
                    raise RecordError(f"{name} is longer than {limit} characters")
            yield line, values
        except RecordError as exc:
            yield line, exc
        except Exception:  # a parser bug must refuse this record, not the batch around it
            log.exception("line %s: a record could not be read", line)
            yield line, RecordError("the record could not be read (a value of an unexpected kind)")


def _account_id(record: dict, account: Account | None, partners: dict) -> int:
    if account is not None:
        return account.pk
    sid = _text(record, "partner_sid")
    if not sid:
        raise RecordError("no account: pass --account AUTH_ID (the record has no partner_sid)")
    if sid not in partners:
        found = Account.objects.filter(partner_sid=_uuid(sid, "partner_sid")).first()
        partners[sid] = found.pk if found else None
    if partners[sid] is None:
        raise RecordError(f"no account has partner_sid {str(sid)[:40]}")
    return partners[sid]


# --- the two styles -------------------------------------------------------------------------
_DURATIONS: dict[timedelta, Decimal] = {}


def _duration(span: timedelta) -> Decimal:
    """A call's span in seconds, to the store's five decimals (remembered: spans repeat)."""
    found = _DURATIONS.get(span)
    if found is None:
        if len(_DURATIONS) >= 4096:
            _DURATIONS.clear()
        found = _DURATIONS[span] = Decimal(str(span.total_seconds())).quantize(CENTS)
    return found


def _plivo(r: dict, now: datetime, product: str) -> dict:
    end = _time(r, "end_time", now, required=True)
    answer = _time(r, "answer_time", now)
    call_duration = _int(r, "call_duration")
    start = _time(r, "initiation_time", now)
    if start is None:
        if call_duration is None:
            raise RecordError("initiation_time or call_duration is required")
        # call_duration may be end - answer (SIP trunking): the call began by its answer
        start = end - timedelta(seconds=call_duration)
        if answer is not None and answer < start:
            start = answer
    if call_duration is None:
        call_duration = int((end - start).total_seconds())
    bill = _int(r, "bill_duration")
    if bill is None:
        bill = int((end - answer).total_seconds()) if answer else 0
    billed = _int(r, "billed_duration")
    return {
        "call_uuid": _uuid(r.get("call_uuid"), "call_uuid", required=True),
        "parent_call_uuid": _uuid(r.get("parent_call_uuid"), "parent_call_uuid"),
        "from_number": _text(r, "from_number") or "",  # "": a withheld caller ID
        "to_number": _text(r, "to_number", required=True),
        "call_direction": _choice(r, "call_direction", DIRECTIONS, required=True),
        "initiation_time": start,
        "answer_time": answer,
        "end_time": end,
        "date_insert": end,
        "call_duration": call_duration,
        "duration": _duration(end - start),
        "bill_duration": bill,
        "billed_duration": bill if billed is None else billed,
        "total_amount": _money(r, "total_amount") or Decimal(0),
        "total_rate": _money(r, "total_rate") or Decimal(0),
        "hangup_cause_code": _int(r, "hangup_cause_code", signed=True) or 0,
        "hangup_source": _source(r, product),
        "stir_verification": _choice(r, "stir_verification", STIR_VERIFICATIONS)
        or "Not Applicable",
        "stir_attest": _choice(r, "attestation_indicator", ATTESTATIONS),
        "sipcause": _text(r, "sipcause") or "",  # a switch's SIP final response (ingest)
        "ip_src": _text(r, "source_ip"),  # the Voice object's; CarrierX's ip_src
        "disconnect_originator": "",
        "transcoded": False,
        "type": "telecom",
        "user_data": "{}",
        "version": 2,
    }


def _carrierx(r: dict, now: datetime, product: str) -> dict:
    end = _time(r, "date_stop", now, required=True)
    start = _time(r, "date_start", now, required=True)
    talk = _time(r, "date_talk", now)
    direction = _choice(r, "direction", DIRECTIONS, required=True)
    duration = _money(r, "duration")
    if duration is None:
        duration = _duration(end - start)
    bill = int((end - talk).total_seconds()) if talk else 0
    billed = _int(r, "duration_billing")
    sipcause = _text(r, "sipcause") or ""
    attest = _text(r, "stir_attest") or ""
    originator = (_text(r, "disconnect_originator") or "").upper()
    if product == VOICE:
        source = {"SRC": "Caller", "DST": "Callee"}.get(originator, "Unknown")
    else:
        customer_side = "SRC" if direction == "outbound" else "DST"
        source = "customer" if originator == customer_side else "carrier"
    values = {
        "call_uuid": _uuid(r.get("dr_sid"), "dr_sid", required=True),
        "parent_call_uuid": None,
        "from_number": _text(r, "number_src") or "",
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
        "hangup_cause_code": cause_for_sip(product, sipcause, source),
        "hangup_source": source,
        "stir_verification": ATTEST_TO_STIR.get(attest.upper(), "Not Applicable"),
        "sipcause": sipcause,
        "disconnect_originator": originator,
        "transcoded": _bool(r, "transcoded"),
        "type": _text(r, "type") or "telecom",
        "user_data": _json_object(r, "user_data"),
        "version": _int(r, "version", high=SMALLINT_MAX) or 2,
    }
    for name in CARRIERX_TEXT:
        values[name] = _text(r, name)
    for name in CARRIERX_UUIDS:
        values[name] = _uuid(r.get(name), name)
    for name in CARRIERX_MONEY:
        values[name] = _money(r, name)
    return values


def _product_fields(r: dict, values: dict, product: str) -> None:
    """The product, the Zentrunk object's fields and the call quality (both styles)."""
    values["product"] = product
    for side in ("from", "to"):
        name = f"{side}_country"
        values[name] = _country(r, name) or country_of(values[f"{side}_number"])
    trunk = _trunk(r)
    if product == VOICE:
        for name, value in trunk.items():
            if value is not None and value is not False:
                raise RecordError(
                    f"{name} is a SIP-trunking field, but the record is a voice call "
                    "(product zentrunk, or leave it out)"
                )
    values.update(trunk)
    for name, (low, high) in QUALITY_RANGES.items():
        key = "plivo_quality_score" if name == "quality_score" and name not in r else name
        values[name] = None if r.get(key) is None else _measure(r, key, low, high)


# A trunk's fields repeat on every call it carries: parsed once per distinct set of values
# and their types (True and 1 are equal keys, not equal text); only a set that parsed is
# remembered (a bad one is refused each time), never one holding a float (-0.0 == 0.0).
_TRUNKS: dict[tuple, dict] = {}


def _trunk(r: dict) -> dict:
    raw = tuple(map(r.get, TRUNK_FIELDS))
    key = (raw, tuple(map(type, raw)))
    remember = float not in key[1] and not (dict in key[1] or list in key[1])
    found = _TRUNKS.get(key) if remember else None
    if found is not None:
        return found
    found = {
        "trunk_domain": _text(r, "trunk_domain"),
        "transport_protocol": _choice(r, "transport_protocol", TRANSPORTS),
        "srtp": _bool(r, "srtp"),
        "secure_trunking": _bool(r, "secure_trunking"),
        "secure_trunking_rate": _money(r, "secure_trunking_rate"),
    }
    if remember:
        if len(_TRUNKS) >= 4096:
            _TRUNKS.clear()
        _TRUNKS[key] = found
    return found
