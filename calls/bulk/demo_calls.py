"""The demo's named calls: the few records the README's and docs' examples name, so that
every example answers something on `make run`'s demo (tests/docs/test_examples.py runs
them all).

Seeded calls are random; these are fixed: the Plivo parent call whose child legs the
`parent_call_uuid` example lists, and CarrierX's printed CDR, whose `dr_sid` the keyset
and retrieve examples name. They are stored through the importer, as any CDR file is, a
few days back so that both faces' default windows hold them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from accounts.models import Account
from calls.bulk.imports import call_import
from calls.vocabulary.choices import VOICE, ZENTRUNK

PARENT_CALL_UUID = "eba53b9e-8fbd-45c1-9444-696d2172fbc8"
CARRIERX_DR_SID = "c02a73b2-8401-459a-af7e-f4cc3eee7854"


def _times(end: datetime, *, ring: int, talk: int) -> dict[str, Any]:
    """Plivo's three times and two durations of a call that ended at `end`."""
    start = end - timedelta(seconds=ring + talk)
    return {
        "initiation_time": start.isoformat(),
        "answer_time": (start + timedelta(seconds=ring)).isoformat() if talk else None,
        "end_time": end.isoformat(),
        "call_duration": ring + talk,
        "bill_duration": talk,
    }


def voice_calls(now: datetime) -> list[dict]:
    """The main account's parent call with its two child legs (one not answered, ended by
    the carrier), and a caller from +1415 whose STIR/SHAKEN check failed."""
    end = now.replace(microsecond=0) - timedelta(days=2)
    parent = {
        "call_uuid": PARENT_CALL_UUID, "call_direction": "outbound",
        "from_number": "+14155550100", "to_number": "+442071234567",
        **_times(end, ring=8, talk=95),
        "hangup_cause_code": 4000, "hangup_source": "Caller", "stir_verification": "Verified",
    }  # fmt: skip
    legs = [
        {
            "call_uuid": "5d1f3c52-2a4e-4c3b-9f5e-0b8c7a6d4e21", "call_direction": "outbound",
            "parent_call_uuid": PARENT_CALL_UUID,
            "from_number": "+14155550100", "to_number": "+442071234568",
            **_times(end, ring=6, talk=80),
            "hangup_cause_code": 4000, "hangup_source": "Callee",
            "stir_verification": "Verified",
        },
        {
            "call_uuid": "8a7b6c5d-4e3f-4a1b-8c2d-3e4f5a6b7c8d", "call_direction": "outbound",
            "parent_call_uuid": PARENT_CALL_UUID,
            "from_number": "+14155550100", "to_number": "+442071234569",
            **_times(end - timedelta(seconds=40), ring=30, talk=0),
            "hangup_cause_code": 3000, "hangup_source": "Carrier",
            "stir_verification": "Verified",
        },
    ]  # fmt: skip
    inbound = {
        "call_uuid": "0f4e2d1c-9b8a-4765-a3c2-1d0e9f8a7b6c", "call_direction": "inbound",
        "from_number": "+14155550142", "to_number": "+14155550100",
        **_times(end - timedelta(hours=5), ring=4, talk=31),
        "hangup_cause_code": 4000, "hangup_source": "Callee",
        "stir_verification": "Not Verified",
    }  # fmt: skip
    return [parent, *legs, inbound]


def carrierx_calls(now: datetime, partner_sid: str) -> list[dict]:
    """CarrierX's printed CDR (docs/carrierx.md), moved to three days ago, and a night
    shift's call from +1415 that the `user_data` and codec examples find."""
    stop = now.replace(microsecond=0) - timedelta(days=3)

    def at(seconds: float) -> str:
        return (stop - timedelta(seconds=seconds)).isoformat(timespec="milliseconds")

    printed = {
        "dr_sid": CARRIERX_DR_SID, "partner_sid": partner_sid, "direction": "inbound",
        "date_start": at(4.25), "date_talk": at(3.3), "date_stop": at(0),
        "duration": "4.25015", "duration_billing": "60", "disconnect_originator": "DST",
        "number_src": "+15012678830", "number_dst": "15162065451",
        "number_billing": "15162065451", "number_external": "15012678830",
        "codec_src": "amrwb", "codec_dst": "g722", "transcoded": True,
        "ip_src": "162.251.180.18", "ip_dst": "10.222.2.197:5060", "sipcause": "200",
        "price": "0.0025", "rate": "0.0025", "stir_attest": "A",
        "stir_orig_id": "+15012678830", "stir_signing_entity": "carrierX", "type": "telecom",
        "user_data": {"identity": "eyJ0eXAiOiJwYXNzcG9ydCIsImFsZyI6I...alg=ES256;ppt=shaken"},
        "version": 2,
    }  # fmt: skip
    night = {
        "dr_sid": "3b9d2f6e-1c4a-4e8b-a7d5-6f2e9c1b0a83", "partner_sid": partner_sid,
        "direction": "outbound", "date_start": at(3700), "date_talk": at(3690),
        "date_stop": at(3600), "duration": "100", "duration_billing": "90",
        "disconnect_originator": "SRC", "number_src": "+14155550123",
        "number_dst": "+442071234567", "codec_src": "pcmu", "codec_dst": "pcmu",
        "cic": None, "sipcause": "200", "type": "telecom",
        "user_data": {"team": "night shift"}, "version": 2,
    }  # fmt: skip
    return [printed, night]


def store_demo_calls(*, main: Account, now: datetime) -> tuple[int, list[str]]:
    """Store the named calls (each once: a re-run finds them stored): how many were new,
    and why any was refused. Their uuids are printed in the docs, so another account of a
    shared server may hold one already: the demo goes on without it."""
    batches = [
        (main, VOICE, voice_calls(now)),
        (main, ZENTRUNK, carrierx_calls(now, str(main.partner_sid))),
    ]
    stored, refused = 0, []
    for account, product, records in batches:
        summary = call_import(records=enumerate(records, 1), account=account, product=product)
        stored += summary.stored
        refused += [f"{records[line - 1].get('call_uuid') or records[line - 1].get('dr_sid')}: "
                    f"{reason}" for line, reason in summary.errors]  # fmt: skip
    return stored, refused
