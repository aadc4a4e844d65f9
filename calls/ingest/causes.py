"""From a switch's words to the product's: Q.850 hangup cause names -> hangup codes, and
SIP hangup dispositions -> hangup sources (README, "Live ingestion", the cause table).

FreeSWITCH names why a channel ended with Q.850 cause names (`hangup_cause`) and who
ended it with `sip_hangup_disposition`; Plivo's two catalogues (fixtures/
hangup_causes.json) have their own codes. A cause not in the table is the product's
"unknown" (code 0); it is not a reason to refuse the call.
"""

from __future__ import annotations

from calls.bulk.hangup_sides import VOICE_SOURCES
from calls.vocabulary.choices import VOICE, ZENTRUNK

UNKNOWN_CODE = 0
# Q.850 name -> (Voice code, Zentrunk code). Zentrunk's NORMAL_CLEARING is 3010 when the
# customer hung up and 3000 when the carrier did (see `cause_code`).
Q850 = {
    "NORMAL_CLEARING": (4000, 3010),
    "NORMAL_UNSPECIFIED": (4000, 3010),
    "MANAGER_REQUEST": (4000, 3010),
    "BLIND_TRANSFER": (4000, 3010),
    "ATTENDED_TRANSFER": (4000, 3010),
    "ORIGINATOR_CANCEL": (1000, 4440),
    "LOSE_RACE": (9000, 4440),
    "PICKED_OFF": (9000, 4440),
    "USER_BUSY": (3010, 4410),
    "NO_ANSWER": (3000, 4330),
    "NO_USER_RESPONSE": (3000, 4330),
    "PROGRESS_TIMEOUT": (6010, 4330),
    "CALL_REJECTED": (3020, 6040),
    "UNALLOCATED_NUMBER": (3050, 4310),
    "NUMBER_CHANGED": (3050, 4310),
    "NO_ROUTE_DESTINATION": (2000, 4080),
    "NO_ROUTE_TRANSIT_NET": (2000, 4080),
    "INVALID_NUMBER_FORMAT": (2000, 4120),
    "DESTINATION_OUT_OF_ORDER": (2010, 5350),
    "USER_NOT_REGISTERED": (2020, 4330),
    "SUBSCRIBER_ABSENT": (2020, 4330),
    "OUTGOING_CALL_BARRED": (2040, 4570),
    "INCOMING_CALL_BARRED": (2040, 4570),
    "BEARERCAPABILITY_NOTAUTH": (2040, 4040),
    "EXCHANGE_ROUTING_ERROR": (2060, 4370),
    "INCOMPATIBLE_DESTINATION": (2070, 4430),
    "BEARERCAPABILITY_NOTAVAIL": (2070, 4430),
    "FACILITY_REJECTED": (3040, 4040),
    "RECOVERY_ON_TIMER_EXPIRE": (3070, 4160),
    "INTERWORKING": (3080, 5030),
    "NORMAL_TEMPORARY_FAILURE": (3090, 5350),
    "SWITCH_CONGESTION": (3090, 5350),
    "NORMAL_CIRCUIT_CONGESTION": (3090, 5350),
    "SERVICE_UNAVAILABLE": (3090, 5350),
    "NETWORK_OUT_OF_ORDER": (5000, 5350),
    "GATEWAY_DOWN": (5020, 5000),
    "SYSTEM_SHUTDOWN": (5010, 5250),
    "CRASH": (5010, 5250),
    "MEDIA_TIMEOUT": (6020, 3020),
    "ALLOTTED_TIMEOUT": (6000, 6030),
}  # fmt: skip

# sip_hangup_disposition: `recv_*` is the SIP peer of this leg ending it, `send_*` this
# switch ending it: for the other leg's party when the channel was bridged, else for the
# reason its cause names (busy: the callee; unallocated: the carrier; hangup_sides.py).
PEER_ENDED = ("recv_bye", "recv_cancel", "recv_refuse")
SWITCH_ENDED = ("send_bye", "send_cancel", "send_refuse")
# Voice sources -> Zentrunk's, by call direction (the customer's PBX is the caller on an
# outbound call, the callee on an inbound one; the switch itself is Zentrunk).
_ZENTRUNK_SIDE = {
    ("Caller", "outbound"): "customer", ("Caller", "inbound"): "carrier",
    ("Callee", "outbound"): "carrier", ("Callee", "inbound"): "customer",
}  # fmt: skip


def cause_code(product: str, name: str, source: str) -> int:
    """The product's hangup code for a Q.850 cause name (unknown: 0)."""
    voice, zentrunk = Q850.get(name.upper(), (UNKNOWN_CODE, UNKNOWN_CODE))
    if product == VOICE:
        return voice
    if zentrunk == 3010 and source == "carrier":
        return 3000  # normal_hangup, by the carrier
    return zentrunk


def hangup_source(
    product: str,
    disposition: str,
    *,
    cause: str,
    leg_faces_caller: bool,
    bridged: bool,
    direction: str,
) -> str:
    """Who ended the call, in the product's words.

    `cause` is the Q.850 name; `leg_faces_caller`: this leg's SIP peer is the calling
    party (the A leg, which called in); a B leg's peer is the called party. A disposition
    this table does not know is "Unknown" on Voice and "zentrunk" (the switch) on
    Zentrunk.
    """
    peer, other = ("Caller", "Callee") if leg_faces_caller else ("Callee", "Caller")
    if disposition in PEER_ENDED:
        source = peer
    elif disposition in SWITCH_ENDED and bridged:
        source = other
    elif disposition in SWITCH_ENDED:
        readings = VOICE_SOURCES.get(cause_code(VOICE, cause, ""), ())
        source = next((s for s in readings if s != "Caller"), "Plivo")
    else:
        source = "Unknown"
    if product == VOICE:
        return source
    if product == ZENTRUNK:
        return _ZENTRUNK_SIDE.get((source, direction), "zentrunk")
    raise ValueError(product)
