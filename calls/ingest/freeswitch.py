"""FreeSWITCH mod_json_cdr documents -> call records (docs/ingest.md).

The document is what `switch_ivr_generate_json_cdr` builds (src/switch_ivr.c):
`channel_data.direction`, `variables` (every channel variable, URL-encoded when
`encode-values` is on, its default), `callflow` (caller profiles, newest first; older
builds repeat a `"callflow"` key per profile instead of an array) and `callStats`
(`audio.inbound`: packet counts, jitter variances, `flaw_total`, `mos`). mod_json_cdr
posts it as the body (`encode=false`), as `cdr=<URL-encoded JSON>` (`encode=true`) or as
`cdr=<base64>` (`encode=base64`), and writes the same text to `err-log-dir` when every
post failed: `decode` reads all of these.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from calls.ingest import bodies, dispositions
from calls.vocabulary.choices import VOICE
from calls.vocabulary.hangup import cause_for_q850
from calls.writing.record_rules import RecordError


def decode(body: bytes, content_type: str = "") -> dict:
    """The CDR in a mod_json_cdr POST body (or an err-log-dir file), as a dict.

    By Content-Type: `application/json` is the document; `application/x-www-form-
    urlencoded` and `application/x-www-form-base64-encoded` carry it in the `cdr` field.
    Without a Content-Type (a file), the text itself tells.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    text = body.strip()
    if kind in ("application/x-www-form-urlencoded", "application/x-www-form-base64-encoded"):
        text = _form_field(text, b"cdr")
        if text is None:
            raise RecordError("the form has no cdr field (mod_json_cdr posts cdr=<document>)")
        base64_form = kind.endswith("base64-encoded")
        text = _from_base64(text) if base64_form else unquote_to_bytes(text.replace(b"+", b" "))
    elif kind not in ("application/json", ""):
        raise RecordError(
            f"Content-Type {kind[:60]!r} is not one mod_json_cdr sends: application/json, "
            "application/x-www-form-urlencoded or application/x-www-form-base64-encoded"
        )
    elif kind == "" and text[:1] != b"{":
        # An err-log-dir file of a build posting with encode=true or encode=base64.
        text = unquote_to_bytes(text) if text[:3].upper() == b"%7B" else _from_base64(text)
    return loads(text)


def loads(text: bytes | str) -> dict:
    """A JSON object whose repeated keys (older builds' `"callflow"`) become a list."""
    document = bodies.parse_json(text, "the CDR", object_pairs_hook=_merge_repeated)
    if not isinstance(document, dict):
        raise RecordError("the CDR is not a JSON object")
    return document


def to_record(doc: Mapping[str, Any], *, product: str = VOICE) -> dict:
    """The call record (Plivo field names, as import_calls reads them) of one CDR; raises
    RecordError naming the FreeSWITCH field that is missing or wrong."""
    variables = doc.get("variables")
    if not isinstance(variables, Mapping):
        raise RecordError("variables is missing or not an object")
    var = _Variables(variables)
    channel = doc.get("channel_data")
    direction = channel.get("direction") if isinstance(channel, Mapping) else None
    if direction not in ("inbound", "outbound"):
        raise RecordError("channel_data.direction must be inbound or outbound")
    profiles = _profiles(doc.get("callflow"))
    first = profiles[-1]  # callflow is newest first: the number dialed is in the oldest
    start = _moment(var, "start_uepoch", required=True)
    answer = _moment(var, "answer_uepoch")
    end = _moment(var, "end_uepoch", required=True)
    parent = (
        var.get("originating_leg_uuid") or var.get("originator") or _originator(profiles) or None
    )
    is_b_leg = parent is not None
    bridged = is_b_leg or bool(
        var.get("last_bridge_to") or var.get("bridge_uuid") or var.get("signal_bond")
    )
    # The A leg called in to the switch: its SIP peer is the caller. A B leg (or a call
    # the switch placed) faces the called party.
    cause = var.get("hangup_cause") or ""
    source = dispositions.hangup_source(
        product,
        var.get("sip_hangup_disposition") or "",
        cause=cause,
        leg_faces_caller=direction == "inbound",
        bridged=bridged,
        direction=direction,
    )
    record = {
        "call_uuid": var.get("uuid") or first.get("uuid"),
        "parent_call_uuid": parent,
        "call_direction": direction,
        "from_number": _number(first, "caller_id_number", required=False),
        "to_number": _number(first, "destination_number"),
        "initiation_time": start,
        "answer_time": answer,
        "end_time": end,
        "call_duration": var.get("duration"),
        "bill_duration": var.get("billsec") if answer else 0,
        "hangup_cause_code": cause_for_q850(product, cause, source),
        "hangup_source": source,
        "sipcause": var.get("sip_term_status"),
        "product": product,
        **_quality(doc.get("callStats")),
    }
    if not record["call_uuid"]:
        raise RecordError("variables.uuid is missing")
    account = var.get("accountcode")
    if account:
        record["account"] = account
    return record


# --- pieces -----------------------------------------------------------------------------------
class _Variables:
    """Channel variables, URL-decoded when read (mod_json_cdr's `encode-values`, on by
    default; FreeSWITCH encodes `%` itself, so a decoded value is never decoded twice)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def get(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, list):  # a repeated key: the last one FreeSWITCH wrote
            value = value[-1] if value else None
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise RecordError(f"variables.{name} must be text")
        text = str(value)
        if "%" in text:
            try:
                text = unquote(text, errors="strict")
            except UnicodeDecodeError:
                raise RecordError(f"variables.{name} is not URL-encoded UTF-8") from None
        return text.strip()


def _profiles(callflow: Any) -> list[Mapping[str, Any]]:
    """The caller profiles, newest first, from an array or from repeated keys."""
    if isinstance(callflow, Mapping):
        callflow = [callflow]
    if not isinstance(callflow, list) or not callflow:
        raise RecordError("callflow is missing (it holds the caller profile and its numbers)")
    profiles = []
    for entry in callflow:
        profile = entry.get("caller_profile") if isinstance(entry, Mapping) else None
        if not isinstance(profile, Mapping):
            raise RecordError("callflow[].caller_profile is missing or not an object")
        profiles.append(profile)
    return profiles


def _originator(profiles: list[Mapping[str, Any]]) -> str | None:
    """The A leg's uuid from a B leg's `originator.originator_caller_profiles`."""
    for profile in profiles:
        originator = profile.get("originator")
        if isinstance(originator, Mapping):
            listed = originator.get("originator_caller_profiles")
            if isinstance(listed, Mapping):
                listed = [listed]
            if isinstance(listed, list) and listed and isinstance(listed[0], Mapping):
                found = listed[0].get("uuid")
                if isinstance(found, str) and found:
                    return found
    return None


def _number(profile: Mapping[str, Any], name: str, required: bool = True) -> str:
    """A number of the profile; the caller's may be empty (a From with no user part, a
    withheld caller ID): that call still happened."""
    value = profile.get(name)
    if not required and value in (None, ""):
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise RecordError(f"callflow[].caller_profile.{name} is missing")
    text = str(value)
    return unquote(text, errors="replace").strip() if "%" in text else text.strip()


def _moment(var: _Variables, name: str, required: bool = False) -> str | None:
    """An ISO time from a microseconds-since-epoch variable; "0" means never (unanswered)."""
    raw = var.get(name)
    if raw in (None, "", "0"):
        if required:
            raise RecordError(f"variables.{name} is missing")
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 17:  # not "²", not Arabic-Indic
        raise RecordError(f"variables.{name} is not microseconds since 1970: {raw[:40]!r}")
    seconds, micros = divmod(int(raw), 1_000_000)
    try:
        moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)
    except (OverflowError, OSError, ValueError):
        raise RecordError(f"variables.{name} is out of range: {raw[:40]}") from None
    return moment.isoformat()


def _quality(stats: Any) -> dict:
    """Quality fields from callStats.audio.inbound (what this side heard): MOS as the
    quality score, the mean of the jitter variances (ms) as jitter, and lost packets
    (`flaw_total`) as a percentage of the packets expected. No media, no figures."""
    audio = stats.get("audio") if isinstance(stats, Mapping) else None
    heard = audio.get("inbound") if isinstance(audio, Mapping) else None
    if not isinstance(heard, Mapping):
        return {}
    numbers = {k: v for k, v in heard.items() if _counter(v)}
    received = numbers.get("media_packet_count", 0)
    if not received:
        return {}
    values: dict[str, float] = {}
    mos = numbers.get("mos")
    if mos is not None and 1 <= mos <= 5:
        values["quality_score"] = round(float(mos), 2)
    low, high = numbers.get("jitter_min_variance"), numbers.get("jitter_max_variance")
    if low is not None and high is not None:
        values["jitter"] = round(min((low + high) / 2, 100_000.0), 3)
    lost = numbers.get("flaw_total")
    if lost is not None:
        values["packet_loss"] = round(100 * lost / (received + lost), 3)
    return values


def _counter(value: Any) -> bool:
    """A figure a media stream can have: a number from 0 to 10^15 (not a bool, NaN, an
    infinity, nor an integer too large for a float, which made the call a 500)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 <= value <= 1e15  # False for NaN


def _merge_repeated(pairs: list[tuple[str, Any]]) -> dict:
    merged: dict[str, Any] = {}
    repeated: set[str] = set()
    for key, value in pairs:
        if key not in merged:
            merged[key] = value
        elif key in repeated:
            merged[key].append(value)
        else:
            merged[key] = [merged[key], value]
            repeated.add(key)
    return merged


def _form_field(body: bytes, name: bytes) -> bytes | None:
    for pair in body.split(b"&"):
        key, sep, value = pair.partition(b"=")
        if sep and key == name:
            return value
    return None


def _from_base64(text: bytes) -> bytes:
    """Base64 as mod_json_cdr writes it: not URL-encoded in the form, so a proxy or
    client may have turned `+` into a space or `%2B`."""
    if b"%" in text:
        text = unquote_to_bytes(text)
    text = text.replace(b" ", b"+").replace(b"\n", b"").replace(b"\r", b"")
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise RecordError("the cdr field is not base64") from None
