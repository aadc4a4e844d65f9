"""Call rows to Plivo call objects, each product as Plivo shows it (docs/plivo.md,
"Response shapes").

Voice calls: timestamps in the account's time zone with their offset, the Voice
catalogue's names. Zentrunk calls: UTC timestamps without an offset, the Zentrunk
catalogue's snake_case names, and the trunk fields. Serialises from `values_list` tuples
rather than model instances, each product's object written in its key order (no sort),
UTC times by isoformat (strftime's text at a third of its cost): same output, a fraction
of the cost per page.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

from calls.vocabulary.choices import ZENTRUNK
from calls.vocabulary.hangup import name_for

COLUMNS = (
    "call_uuid",
    "product",
    "answer_time",
    "bill_duration",
    "billed_duration",
    "call_direction",
    "call_duration",
    "end_time",
    "from_number",
    "hangup_cause_code",
    "hangup_source",
    "initiation_time",
    "parent_call_uuid",
    "stir_verification",
    "to_number",
    "total_amount",
    "total_rate",
    # Zentrunk only
    "trunk_domain",
    "from_country",
    "to_country",
    "transport_protocol",
    "srtp",
    "secure_trunking",
    "secure_trunking_rate",
    "stir_attest",
    # Voice only: Plivo's source_ip, kept in the column CarrierX calls ip_src
    "ip_src",
)
_MONEY = Decimal("0.00001")


def timestamp(moment: datetime | None, zone: tzinfo) -> str | None:
    """`YYYY-MM-DD HH:MM:SS±HH:MM` in the account's zone (seconds, as Plivo shows them)."""
    if moment is None:
        return None
    return moment.astimezone(zone).replace(microsecond=0).isoformat(sep=" ")


def utc_timestamp(moment: datetime | None) -> str | None:
    """`YYYY-MM-DD HH:MM:SS` in UTC, no offset: how Zentrunk call objects show times."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # isoformat pads the year to four digits; strftime does not
        return utc.strftime("%Y-%m-%d %H:%M:%S")
    return utc.replace(tzinfo=None, microsecond=0).isoformat(" ")  # strftime's text, faster


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(_MONEY))


def call_objects(rows: Iterable[tuple], *, zone_name: str, base_uri: str) -> list[dict]:
    zone = zoneinfo.ZoneInfo(zone_name)
    return [
        _trunk_object(row, base_uri) if row[1] == ZENTRUNK else _voice_object(row, zone, base_uri)
        for row in rows
    ]


def _voice_object(row: tuple, zone: tzinfo, base_uri: str) -> dict:
    # fmt: off
    (call_uuid, product, answer_time, bill_duration, billed_duration, call_direction,
     call_duration, end_time, from_number, hangup_cause_code, hangup_source, initiation_time,
     parent_call_uuid, stir_verification, to_number, total_amount, total_rate, *_) = row
    # fmt: on
    uid = str(call_uuid)
    source_ip = row[-1]
    return {
        "answer_time": timestamp(answer_time, zone),
        "bill_duration": bill_duration,
        "billed_duration": billed_duration,
        "call_direction": call_direction,
        "call_duration": call_duration,
        "call_uuid": uid,
        "end_time": timestamp(end_time, zone),
        "from_number": from_number,
        "hangup_cause_code": hangup_cause_code,
        "hangup_cause_name": name_for(product, hangup_cause_code),
        "hangup_source": hangup_source,
        "initiation_time": timestamp(initiation_time, zone),
        "parent_call_uuid": str(parent_call_uuid) if parent_call_uuid else None,
        "resource_uri": f"{base_uri}{uid}/",
        "source_ip": source_ip,
        "stir_verification": stir_verification,
        "to_number": to_number,
        "total_amount": money(total_amount),
        "total_rate": money(total_rate),
    }


def _trunk_object(row: tuple, base_uri: str) -> dict:
    """The Voice object's fields and the trunk's, all in alphabetical order, UTC times."""
    # fmt: off
    (call_uuid, product, answer_time, bill_duration, billed_duration, call_direction,
     call_duration, end_time, from_number, hangup_cause_code, hangup_source, initiation_time,
     parent_call_uuid, stir_verification, to_number, total_amount, total_rate, trunk_domain,
     from_country, to_country, transport_protocol, srtp, secure_trunking,
     secure_trunking_rate, stir_attest, _source_ip) = row
    # fmt: on
    uid = str(call_uuid)
    return {
        "answer_time": utc_timestamp(answer_time),
        "attestation_indicator": stir_attest or None,
        "bill_duration": bill_duration,
        "billed_duration": billed_duration,
        "call_direction": call_direction,
        "call_duration": call_duration,
        "call_uuid": uid,
        "end_time": utc_timestamp(end_time),
        "from_country": from_country,
        "from_number": from_number,
        "hangup_cause_code": hangup_cause_code,
        "hangup_cause_name": name_for(product, hangup_cause_code),
        "hangup_source": hangup_source,
        "initiation_time": utc_timestamp(initiation_time),
        "parent_call_uuid": str(parent_call_uuid) if parent_call_uuid else None,
        "resource_uri": f"{base_uri}{uid}/",
        "secure_trunking": secure_trunking,
        "secure_trunking_rate": money(secure_trunking_rate),
        "srtp": srtp,
        "stir_verification": stir_verification,
        "to_country": to_country,
        "to_number": to_number,
        "total_amount": money(total_amount),
        "total_rate": money(total_rate),
        "transport_protocol": transport_protocol,
        "trunk_domain": trunk_domain,
    }
