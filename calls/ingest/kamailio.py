"""One Kamailio acc_json CDR -> one record in the Plivo field names the importer reads
(`calls.writing.records.parse_records`), plus `account` when the CDR names one.

Kamailio's `http_client` posts what acc_json builds at the end of a dialog: every value a
JSON string; `start_time`, `end_time` and `duration` from acc (epoch seconds with
milliseconds), the rest from `cdr_extra` with the names of the reference cfg
(docs/kamailio.md): `call_id`, `from_user`, `to_user`, `sip_code`, `sip_reason`,
`answered` ("true"/"false"), `setup_ts`, `answer_ts` (epoch seconds, "" when unanswered),
and the optional `from_tag`, `ended_by` ("caller"/"callee": who sent the BYE),
`direction` ("inbound"/"outbound", default outbound) and `account` (an auth id).

call_uuid is uuid5(KAMAILIO_NAMESPACE, "<partner_sid>;<Call-ID>;<from-tag>") (without a
from_tag, "<partner_sid>;<Call-ID>"), partner_sid being that of the account the call is
stored under: the same dialog of one account always gets the same call_uuid, so a re-post
is a duplicate, while another account posting the same dialog (every party to a SIP call
sees its Call-ID and tags) gets another call, not this one's uuid. The account is known
only once the ingest service has judged the record's `account`, so `to_record` leaves the
dialog's name under DIALOG and `own` hashes it. Neither a Call-ID nor a tag can hold ";"
(RFC 3261, 25.1), nor a partner_sid (a UUID), so the name is unambiguous.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from accounts.models import Account
from calls.vocabulary.choices import DIRECTIONS, PRODUCTS, VOICE, ZENTRUNK
from calls.vocabulary.hangup import (
    DEFAULT_SOURCE,
    FAR,
    NEAR,
    VOICE_PARTY,
    cause_for_sip,
    find,
    sources_for,
    zentrunk_side,
)
from calls.writing.record_rules import TOLERANCE, RecordError

# uuid5(NAMESPACE_URL, "urn:cdrapi:kamailio"), written out: it must never change, or a
# re-posted CDR would become a second call.
KAMAILIO_NAMESPACE = uuid.UUID("9b3d860c-8478-5601-95f9-c1ad22a12a24")
PARTIES = ("caller", "callee")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = Decimal("0.001")  # acc's precision: start_time and end_time are cut to it
_MAX_EPOCH = Decimal(253402300799)  # 9999-12-31T23:59:59Z: beyond it datetime overflows
# Who ended an answered call, by the party that sent the BYE: the caller is the near side
# (calls/vocabulary/hangup.py: the customer on an outbound Zentrunk call, the carrier on an
# inbound one).
_PARTY_SIDE = {"caller": NEAR, "callee": FAR}


# Not a column: the record's "<Call-ID>;<from-tag>", until `own` makes it the call_uuid.
DIALOG = "_dialog"


def call_uuid(partner_sid: uuid.UUID | str, call_id: str, from_tag: str = "") -> uuid.UUID:
    """The call_uuid of a Kamailio dialog stored under the account with this partner_sid:
    the same account, Call-ID and from-tag, the same call."""
    return _hashed(partner_sid, f"{call_id};{from_tag}" if from_tag else call_id)


def own(record: dict, account: Account) -> None:
    """Give a record of `to_record` its call_uuid, that of its dialog under `account`, the
    account it is stored under (calls/ingest/service.py)."""
    record["call_uuid"] = str(_hashed(account.partner_sid, record.pop(DIALOG)))


def _hashed(partner_sid: uuid.UUID | str, dialog: str) -> uuid.UUID:
    return uuid.uuid5(KAMAILIO_NAMESPACE, f"{uuid.UUID(str(partner_sid))};{dialog}")


def to_record(doc: Mapping[str, Any], *, product: str = ZENTRUNK) -> dict:
    """The Plivo-style record of one acc_json CDR, for `parse_records` once `own` has given
    it its call_uuid; RecordError (with the CDR's own field names) for a CDR that is not
    one or contradicts itself.

    `product` picks the hangup catalogue the SIP status maps to (Kamailio's default,
    Zentrunk, unless the endpoint is told otherwise).
    """
    if not isinstance(doc, Mapping):
        raise RecordError("not an object")
    if product not in PRODUCTS:
        raise RecordError(f"product must be one of {', '.join(PRODUCTS)}")
    call_id = _text(doc, "call_id", required=True)
    start = _epoch(doc, "start_time", required=True)
    end = _epoch(doc, "end_time", required=True)
    # acc's start_time is cut to the millisecond (so it can precede setup_ts), and is the
    # answer time under cdr_start_on_confirmed=1: the call began at the earlier of the two.
    setup = _epoch(doc, "setup_ts")
    duration = _number(doc, "duration")
    if duration is not None and abs(duration - (end - start)) > TOLERANCE:
        raise RecordError(f"duration is {duration} s but end_time - start_time is {end - start} s")
    answered = _flag(doc, "answered")
    answer = _epoch(doc, "answer_ts")
    if answer is not None and end < answer < end + _MS:
        answer = end  # a call hung up within the millisecond it was answered (end is cut)
    sip_code = _sip_code(doc)
    if answered and answer is None:
        raise RecordError("answered is true but answer_ts is empty")
    if not answered and answer is not None:
        raise RecordError("answered is false but answer_ts is set")
    if sip_code and answered != sip_code.startswith("2"):
        raise RecordError(f"answered is {str(answered).lower()} but sip_code is {sip_code}")
    direction = _text(doc, "direction") or "outbound"
    if direction not in DIRECTIONS:
        raise RecordError(f"direction must be one of {', '.join(DIRECTIONS)}")
    ended_by = _text(doc, "ended_by")
    if ended_by is not None and ended_by not in PARTIES:
        raise RecordError(f"ended_by must be one of {', '.join(PARTIES)}; got {ended_by[:40]!r}")
    outbound = direction == "outbound"
    if answered:
        source = _party_source(product, ended_by, outbound)
        code = cause_for_sip(product, "200", source)
    else:
        code = cause_for_sip(product, sip_code, "")
        if find(product, code) is not None:
            source = sources_for(product, code, outbound=outbound)[0]
        else:  # a final answer outside the table still came from the called side
            source = _party_source(product, "callee", outbound)
    from_tag = _text(doc, "from_tag")
    record = {
        DIALOG: f"{call_id};{from_tag}" if from_tag else call_id,
        "from_number": _text(doc, "from_user") or "",  # a From without a user part
        "to_number": _text(doc, "to_user", required=True),
        "call_direction": direction,
        "initiation_time": _iso(start if setup is None else min(start, setup)),
        "answer_time": _iso(answer) if answer is not None else None,
        "end_time": _iso(end),
        "hangup_cause_code": code,
        "hangup_source": source,
        "product": product,
    }
    account = _text(doc, "account")
    if account:
        record["account"] = account
    return record


def _party_source(product: str, party: str | None, outbound: bool) -> str:
    """The product's hangup source for the party that ended the call (None: not known)."""
    if party is None:
        return DEFAULT_SOURCE[product]
    if product == VOICE:
        return VOICE_PARTY[_PARTY_SIDE[party]]
    return zentrunk_side(_PARTY_SIDE[party], outbound=outbound)


def _text(doc: Mapping[str, Any], name: str, required: bool = False) -> str | None:
    value = doc.get(name)
    if value is None or value == "":
        if required:
            raise RecordError(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RecordError(f"{name} must be a string")
    text = str(value).strip()
    if "\x00" in text:
        raise RecordError(f"{name} contains a NUL character")
    if not text and required:
        raise RecordError(f"{name} is required")
    return text or None


def _number(doc: Mapping[str, Any], name: str) -> Decimal | None:
    """A non-negative decimal number of seconds ("1795433021.997")."""
    text = _text(doc, name)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RecordError(f"{name} is not a number of seconds: {text[:40]!r}") from None
    if not number.is_finite() or not 0 <= number <= _MAX_EPOCH:
        raise RecordError(f"{name} is out of range: {text[:40]}")
    return number


def _epoch(doc: Mapping[str, Any], name: str, required: bool = False) -> Decimal | None:
    number = _number(doc, name)
    if number is None and required:
        raise RecordError(f"{name} is required")
    return number


def _iso(seconds: Decimal) -> str:
    """Epoch seconds as an ISO 8601 UTC time, to the microsecond (the record rules check
    its range)."""
    micros = int((seconds * 1_000_000).to_integral_value())
    return (_EPOCH + timedelta(microseconds=micros)).isoformat()


def _flag(doc: Mapping[str, Any], name: str) -> bool:
    text = _text(doc, name, required=True)
    if text not in ("true", "false"):
        raise RecordError(f"{name} must be true or false; got {text[:40]!r}")
    return text == "true"


def _sip_code(doc: Mapping[str, Any]) -> str:
    """The final SIP status, 200-699 ("" when the dialog got none, e.g. a local timeout)."""
    text = _text(doc, "sip_code") or ""
    final = len(text) == 3 and text.isascii() and text.isdigit() and "2" <= text[0] <= "6"
    if text and not final:
        raise RecordError(f"sip_code is not a SIP status code: {text[:40]!r}")
    return text
