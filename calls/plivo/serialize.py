"""Call rows to Plivo call objects, each product as Plivo shows it (docs/plivo.md,
"Response shapes").

Voice calls: timestamps in the account's time zone with their offset, the Voice
catalogue's names. Zentrunk calls: UTC timestamps without an offset, the Zentrunk
catalogue's snake_case names, and the trunk fields. Serialises from `values_list` tuples
rather than model instances: same output, a fraction of the cost per page.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

from calls.models import ZENTRUNK
from calls.store.catalogue import name_for

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
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(_MONEY))


def call_objects(rows: Iterable[tuple], *, zone_name: str, base_uri: str) -> list[dict]:
    zone = zoneinfo.ZoneInfo(zone_name)
    out = []
    for (
        call_uuid,
        product,
        answer_time,
        bill_duration,
        billed_duration,
        call_direction,
        call_duration,
        end_time,
        from_number,
        hangup_cause_code,
        hangup_source,
        initiation_time,
        parent_call_uuid,
        stir_verification,
        to_number,
        total_amount,
        total_rate,
        trunk_domain,
        from_country,
        to_country,
        transport_protocol,
        srtp,
        secure_trunking,
        secure_trunking_rate,
        stir_attest,
    ) in rows:
        uid = str(call_uuid)
        trunk = product == ZENTRUNK
        stamp = utc_timestamp if trunk else lambda moment: timestamp(moment, zone)
        obj = {
            "answer_time": stamp(answer_time),
            "bill_duration": bill_duration,
            "billed_duration": billed_duration,
            "call_direction": call_direction,
            "call_duration": call_duration,
            "call_uuid": uid,
            "end_time": stamp(end_time),
            "from_number": from_number,
            "hangup_cause_code": hangup_cause_code,
            "hangup_cause_name": name_for(product, hangup_cause_code),
            "hangup_source": hangup_source,
            "initiation_time": stamp(initiation_time),
            "parent_call_uuid": str(parent_call_uuid) if parent_call_uuid else None,
            "resource_uri": f"{base_uri}{uid}/",
            "stir_verification": stir_verification,
            "to_number": to_number,
            "total_amount": money(total_amount),
            "total_rate": money(total_rate),
        }
        if trunk:
            obj.update(
                attestation_indicator=stir_attest or None,
                from_country=from_country,
                secure_trunking=secure_trunking,
                secure_trunking_rate=money(secure_trunking_rate),
                srtp=srtp,
                to_country=to_country,
                transport_protocol=transport_protocol,
                trunk_domain=trunk_domain,
            )
            obj = dict(sorted(obj.items()))
        out.append(obj)
    return out
