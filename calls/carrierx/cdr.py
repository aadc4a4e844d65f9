"""The CarrierX CDR object: its fields, where each is stored, and how it is written.

One table drives serialisation, field selection, ordering and filtering, so a field
cannot be filterable but missing from the output, or the other way round.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

# CarrierX name -> (model field, kind). Kinds decide parsing and output format.
FIELDS: dict[str, tuple[str, str]] = {
    "cic": ("cic", "text"),
    "cic_original": ("cic_original", "text"),
    "cic_transformed": ("cic_transformed", "text"),
    "codec_dst": ("codec_dst", "text"),
    "codec_src": ("codec_src", "text"),
    "date_insert": ("date_insert", "datetime"),
    "date_start": ("initiation_time", "datetime"),
    "date_stop": ("end_time", "datetime"),
    "date_talk": ("answer_time", "datetime"),
    "direction": ("call_direction", "text"),
    "disconnect_originator": ("disconnect_originator", "text"),
    "diversion_dst": ("diversion_dst", "text"),
    "diversion_src": ("diversion_src", "text"),
    "dr_sid": ("call_uuid", "uuid"),
    "duration": ("duration", "decimal"),
    "duration_billing": ("billed_duration", "intstr"),
    "endpoint_sid_dst": ("endpoint_sid_dst", "uuid"),
    "endpoint_sid_src": ("endpoint_sid_src", "uuid"),
    "identity": ("identity", "text"),
    "ip_dst": ("ip_dst", "text"),
    "ip_src": ("ip_src", "text"),
    "number_billing": ("number_billing", "text"),
    "number_dst": ("to_number", "text"),
    "number_dst_original": ("number_dst_original", "text"),
    "number_dst_transformed": ("number_dst_transformed", "text"),
    "number_external": ("number_external", "text"),
    "number_src": ("from_number", "text"),
    "number_src_original": ("number_src_original", "text"),
    "number_src_transformed": ("number_src_transformed", "text"),
    "partner_sid": ("account__partner_sid", "uuid"),
    "price": ("total_amount", "decimal"),
    "price_lcr_dst": ("price_lcr_dst", "decimal"),
    "price_lcr_src": ("price_lcr_src", "decimal"),
    "rate": ("total_rate", "decimal"),
    "rate_lcr_dst": ("rate_lcr_dst", "decimal"),
    "rate_lcr_src": ("rate_lcr_src", "decimal"),
    "sipcallid_dst": ("sipcallid_dst", "text"),
    "sipcallid_src": ("sipcallid_src", "text"),
    "sipcause": ("sipcause", "text"),
    "stir_attest": ("stir_attest", "text"),
    "stir_identity": ("stir_identity", "text"),
    "stir_orig_id": ("stir_orig_id", "text"),
    "stir_signing_entity": ("stir_signing_entity", "text"),
    "stir_verstat": ("stir_verstat", "text"),
    "transcoded": ("transcoded", "bool"),
    "trunk_group_sid_dst": ("trunk_group_sid_dst", "uuid"),
    "trunk_group_sid_src": ("trunk_group_sid_src", "uuid"),
    "trunk_sid_dst": ("trunk_sid_dst", "uuid"),
    "trunk_sid_src": ("trunk_sid_src", "uuid"),
    "type": ("type", "text"),
    "user_data": ("user_data", "json"),
    "version": ("version", "int"),
}
NAMES = tuple(FIELDS)
# Read from the row; partner_sid comes from the account tree already in memory.
COLUMNS = (*(model for name, (model, _) in FIELDS.items() if name != "partner_sid"), "account_id")


def timestamp(moment: datetime | None) -> str | None:
    """`2026-11-20T14:18:35.000Z`: UTC with milliseconds, as the vendor writes them."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def decimal_text(value: Decimal | None) -> str | None:
    """Decimals as the vendor writes them: no trailing zeros ("0.0025", "60")."""
    if value is None:
        return None
    return format(value.normalize(), "f")


_WRITERS = {
    "datetime": timestamp,
    "decimal": decimal_text,
    "intstr": lambda v: None if v is None else str(v),
    "uuid": lambda v: None if v is None else str(v),
}


def cdr_objects(rows, partner_sids: dict[int, str], names: tuple[str, ...]) -> list[dict]:
    """Rows of COLUMNS to CDR objects holding `names` (sorted, as the vendor's are)."""
    index = {model: i for i, model in enumerate(COLUMNS)}
    plan = []
    for name in names:
        if name == "partner_sid":
            continue
        model, kind = FIELDS[name]
        plan.append((name, index[model], _WRITERS.get(kind)))
    account_at = index["account_id"]
    with_partner = "partner_sid" in names
    out = []
    for row in rows:
        item = {}
        for name, at, writer in plan:
            value = row[at]
            item[name] = writer(value) if writer else value
        if with_partner:
            item["partner_sid"] = partner_sids.get(row[account_at])
        out.append(dict(sorted(item.items())))
    return out
