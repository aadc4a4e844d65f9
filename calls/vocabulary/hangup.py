"""The hangup vocabulary of both products, in one place: Plivo's two cause catalogues, who
ends a call with each cause, each product's hangup sources and their other spellings, and
the maps from a switch's words (SIP final responses, Q.850 cause names) to a product's
codes. The model's choices, the HangupCause rows migrate loads (the admin's list), the
seeder, the importer, the live parsers and the faces' filters and schemas all read it here.

The catalogues are Plivo's, as it lists them today (its Voice API "Hangup causes" page, 53
codes, and its SIP-trunking "Zentrunk hangup codes" page, 79; docs/plivo.md, "Hangup
causes"). The two reuse numbers with different meanings (3000 is "No Answer" on Voice and
"normal_hangup" on Zentrunk), so a code means something only with its product. Each entry
also carries how often the seeder draws it (`weight`), whether it ends answered calls, and
who ends a call with it (`ends`).

Plivo publishes that side only for Zentrunk codes 3000-4020 (3000 normal_hangup by the
carrier, 3010 by the customer, 4020 unauthorized by the customer…;
/work/shared/spec/plivo-hangup-causes.md); the rest is our reading of each cause's name,
written down once here. The seeder draws a call's `hangup_source` from its cause's entry;
the importer only checks a recorded source against its product's vocabulary (a real switch
knows better than this table).

A Zentrunk entry may name a side relative to the call: NEAR is the calling party's side,
FAR the called one's. The customer's PBX calls out through the carrier on an outbound call
and is called through it on an inbound one, so "the far end was busy" is the carrier on an
outbound call and the customer on an inbound one (`zentrunk_side`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from calls.vocabulary.choices import VOICE, ZENTRUNK

# --- sources -------------------------------------------------------------------------------------
HANGUP_SOURCES_BY_PRODUCT = {
    ZENTRUNK: ("customer", "carrier", "zentrunk"),
    VOICE: ("Caller", "Callee", "Plivo", "Carrier", "API Request", "Answer XML", "Error",
            "Unknown"),
}  # fmt: skip
VOICE_HANGUP_SOURCES = HANGUP_SOURCES_BY_PRODUCT[VOICE]  # named for the OpenAPI enums
ZENTRUNK_HANGUP_SOURCES = HANGUP_SOURCES_BY_PRODUCT[ZENTRUNK]
# Other spellings of a source, as clients and exports write them -> the stored one.
HANGUP_SOURCE_ALIASES = {VOICE: {"Call recipient": "Callee"}, ZENTRUNK: {}}
HANGUP_SOURCES = tuple(dict.fromkeys(s for v in HANGUP_SOURCES_BY_PRODUCT.values() for s in v))
# The source of a record that names none: "customer" as before products (Zentrunk),
# and Voice's own word for not knowing.
DEFAULT_SOURCE = {ZENTRUNK: "customer", VOICE: "Unknown"}

NEAR, FAR = "near", "far"  # the calling party's side, the called party's (Zentrunk entries)
# A party of the call in Voice's words.
VOICE_PARTY = {NEAR: "Caller", FAR: "Callee"}


def source_words(product: str) -> tuple[str, ...]:
    """Every spelling of the product's sources a client may send: the sources, then the
    aliases."""
    return (*HANGUP_SOURCES_BY_PRODUCT[product], *HANGUP_SOURCE_ALIASES[product])


def zentrunk_side(side: str, *, outbound: bool) -> str:
    """The Zentrunk source of the NEAR (calling) or FAR (called) side of a call: the
    customer's PBX calls out on an outbound call and is called on an inbound one."""
    near, far = ("customer", "carrier") if outbound else ("carrier", "customer")
    return near if side == NEAR else far


# --- the catalogues ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Cause:
    product: str
    code: int
    name: str  # Plivo's, as its page spells it
    group: str  # the heading the page lists it under
    weight: int  # how often the seeder draws it, relative to the product's others
    answered: bool  # whether it ends answered calls
    ends: tuple[str, ...]  # the sources that end a call with it (NEAR / FAR on Zentrunk)


_BOTH_PARTIES = ("Caller", "Callee")
_CARRIER, _CUSTOMER, _ZENTRUNK = ("carrier",), ("customer",), ("zentrunk",)

# Per product, per group as Plivo's page orders them: (code, name, weight, answered, ends).
_VOICE_GROUPS = {
    # Either party hangs up; XML that runs out, Plivo or the API end the rest.
    "Normal Completions (4000-4030)": [
        (4000, "Normal Hangup", 600, True, _BOTH_PARTIES),
        (4010, "End Of XML Instructions", 120, True, ("Answer XML",)),
        (4020, "Multiparty Call Ended", 10, True, ("Plivo",)),
        (4030, "Kicked Out Of Multiparty Call", 2, True, ("API Request",)),
    ],
    # The caller gave up, or Plivo refused to go on.
    "Canceled Calls (1000-1020)": [
        (0, "Unknown", 2, False, ("Unknown",)),
        (1000, "Canceled", 70, False, ("Caller",)),
        (1010, "Canceled (Out Of Credits)", 2, False, ("Plivo",)),
        (1020, "Canceled (Simultaneous dial limit reached)", 1, False, ("Plivo",)),
    ],
    # The network could not reach it, or Plivo would not dial it.
    "Destination Issues (2000-2070)": [
        (2000, "Invalid Destination Address", 8, False, ("Carrier",)),
        (2010, "Destination Out Of Service", 6, False, ("Carrier",)),
        (2020, "Endpoint Not Registered", 3, False, ("Plivo",)),
        (2030, "Destination Country Barred", 1, False, ("Plivo",)),
        (2040, "Destination Number Barred", 1, False, ("Plivo",)),
        (2050, "Destination Prefix Barred", 1, False, ("Plivo",)),
        (2060, "Loop Detected", 1, False, ("Plivo",)),
        (2070, "Violates Media Anchoring", 1, False, ("Plivo",)),
    ],
    # Nobody answered before Plivo's ring timeout or the carrier's, the callee was busy or
    # declined, or the carrier refused the call.
    "Call Rejections (3000-3050)": [
        (3000, "No Answer", 90, False, ("Plivo", "Carrier")),
        (3010, "Busy Line", 60, False, ("Callee", "Carrier")),
        (3020, "Rejected", 25, False, ("Callee",)),
        (3030, "Unknown Caller ID", 2, False, ("Carrier",)),
        (3040, "Forbidden", 3, False, ("Carrier",)),
        (3050, "Unallocated number", 8, False, ("Carrier",)),
    ],
    "Carrier Errors (3070-3140)": [
        (3070, "Request timeout", 4, False, ("Carrier",)),
        (3080, "Internal server error from carrier", 3, False, ("Carrier",)),
        (3090, "Network congestion from carrier", 2, False, ("Carrier",)),
        (3100, "Busy everywhere", 2, False, ("Carrier",)),
        (3110, "Declined", 4, False, ("Callee",)),
        (3120, "User does not exist anywhere", 2, False, ("Carrier",)),
        (3130, "Spam block", 2, False, ("Carrier",)),
        (3140, "DNO Caller ID", 1, False, ("Carrier",)),
    ],
    "System Errors (5000-5020)": [
        (5000, "Network Error", 3, True, ("Error",)),
        (5010, "Internal Error", 2, True, ("Error",)),
        (5020, "Routing Error", 2, False, ("Error",)),
    ],
    "Timeouts (6000-6020)": [
        (6000, "Scheduled Hangup", 3, True, ("Plivo",)),
        (6010, "Ring Timeout Reached", 8, False, ("Plivo",)),
        (6020, "Media Timeout", 4, True, ("Plivo",)),
    ],
    "URL Errors (7011-7034)": [
        (7011, "Error Reaching Answer URL", 1, False, ("Error",)),
        (7012, "Error Reaching Action URL", 1, False, ("Error",)),
        (7013, "Error Reaching Transfer URL", 1, False, ("Error",)),
        (7014, "Error Reaching Redirect URL", 1, False, ("Error",)),
        (7022, "Invalid Action URL", 1, False, ("Error",)),
        (7023, "Invalid Transfer URL", 1, False, ("Error",)),
        (7024, "Invalid Redirect URL", 1, False, ("Error",)),
        (7032, "Invalid Method For Action URL", 1, False, ("Error",)),
        (7033, "Invalid Method For Transfer URL", 1, False, ("Error",)),
        (7034, "Invalid Method For Redirect URL", 1, False, ("Error",)),
    ],
    "XML Errors (8011-8014)": [
        (8011, "Invalid Answer XML", 1, False, ("Error",)),
        (8012, "Invalid Action XML", 1, False, ("Error",)),
        (8013, "Invalid Transfer XML", 1, False, ("Error",)),
        (8014, "Invalid Redirect XML", 1, False, ("Error",)),
    ],
    "Special Cases (9000-9110)": [
        (9000, "Lost Race", 1, False, ("Plivo",)),
        (9100, "Machine Detected", 1, False, ("Plivo",)),
        (9110, "Confirm Key Challenge Failed", 1, False, ("Plivo",)),
    ],
}
_ZENTRUNK_GROUPS = {
    "Normal Hangups (3000-3040)": [
        (3000, "normal_hangup", 380, True, _CARRIER),
        (3010, "normal_hangup", 360, True, _CUSTOMER),
        (3020, "rtp_timeout", 6, True, _ZENTRUNK),
        (3030, "insufficient_plivo_credits", 2, True, _ZENTRUNK),
        (3040, "abnormal_hangup_due_to_reinvite", 3, True, _ZENTRUNK),
    ],
    "Authentication Errors (4000-4060)": [
        (4000, "bad_request", 3, False, _ZENTRUNK),
        (4010, "unauthorized_by_carrier", 2, False, _CARRIER),
        (4020, "unauthorized", 3, False, _CUSTOMER),
        (4030, "insufficient_plivo_credits", 1, False, _ZENTRUNK),
        (4040, "forbidden", 2, False, _ZENTRUNK),
        (4050, "blacklisted_for_verification", 1, False, _ZENTRUNK),
        (4060, "forbidden", 1, False, _ZENTRUNK),
    ],
    # Routing and caller-id checks are Zentrunk's own.
    "Routing Errors (4070-4120)": [
        (4070, "trunk_not_found", 2, False, _ZENTRUNK),
        (4080, "route_not_found", 3, False, _ZENTRUNK),
        (4090, "destination_not_found", 3, False, _ZENTRUNK),
        (4100, "prefix_not_supported", 1, False, _ZENTRUNK),
        (4110, "secure_trunking_disabled", 1, False, _ZENTRUNK),
        (4120, "destination_invalid", 4, False, _ZENTRUNK),
    ],
    "Caller ID Errors (4130-4200)": [
        (4130, "incorrect_callerid_non_numeric", 1, False, _ZENTRUNK),
        (4140, "incorrect_callerid_too_short", 1, False, _ZENTRUNK),
        (4190, "unknown_caller_id", 1, False, _ZENTRUNK),
        (4200, "dno_caller_id", 1, False, _ZENTRUNK),
    ],
    "Format & Media Errors (4150-4270)": [
        (4150, "proxy_authentication_required", 1, False, _CARRIER),
        (4160, "request_timeout_carrier", 4, False, _CARRIER),
        (4170, "request_timeout_customer", 3, False, _CUSTOMER),
        (4220, "unsupported_media_type", 1, False, (FAR,)),
        (4230, "unsupported_uri_scheme", 1, False, (FAR,)),
        (4270, "session_interval_too_small", 1, False, (FAR,)),
    ],
    "URI & Availability Errors (4310-4380)": [
        (4310, "uri_not_found", 3, False, (FAR,)),
        (4320, "uri_invalid", 2, False, (FAR,)),
        (4330, "temporary_unavailable", 8, False, (FAR,)),
        (4340, "temporary_unavailable", 3, False, (FAR,)),
        (4350, "temporary_unavailable", 2, False, (FAR,)),
        (4360, "call_does_not_exist", 1, False, (FAR,)),
        (4370, "loop_detected", 1, False, _ZENTRUNK),
        (4380, "too_many_hops", 1, False, _ZENTRUNK),
    ],
    # The called party was busy or did not pick up; the caller, or the carrier, gave up.
    "Call State Errors (4410-4550)": [
        (4410, "user_busy", 60, False, (FAR,)),
        (4420, "carrier_cancelled", 25, False, _CARRIER),
        (4430, "sdp_not_acceptable_here", 1, False, (FAR,)),
        (4440, "request_terminated", 20, False, (NEAR,)),
        (4500, "request_pending", 1, False, (FAR,)),
        (4520, "security_agreement_required", 1, False, (FAR,)),
        (4540, "forbidden", 2, False, (FAR,)),
        (4550, "user_cancelled", 40, False, (NEAR,)),
    ],
    "Geo & Number Restrictions (4560-4590)": [
        (4560, "barred_country", 1, False, _ZENTRUNK),
        (4570, "barred_number", 1, False, _ZENTRUNK),
        (4580, "invalid_sip_packet", 1, False, _ZENTRUNK),
        (4590, "domestic_anchored_terms_not_met", 1, False, _ZENTRUNK),
    ],
    "SDP & Codec Errors (4610-4640)": [
        (4610, "ruri_not_acceptable_here", 1, False, (FAR,)),
        (4620, "codec_not_acceptable_here", 2, False, (FAR,)),
        (4630, "sdp_not_acceptable_here_by_carrier", 1, False, _CARRIER),
        (4640, "sdp_not_acceptable_here_by_user", 1, False, _CUSTOMER),
    ],
    "Server & Capacity Errors (5000-5200)": [
        (5000, "service_unavailable_no_more_destinations", 4, False, _ZENTRUNK),
        (5010, "port_limit_reached", 2, False, _ZENTRUNK),
        (5020, "not_implemented", 1, False, _ZENTRUNK),
        (5030, "not_implemented_at_carrier", 1, False, _CARRIER),
        (5040, "not_implemented_at_user", 1, False, _CUSTOMER),
        (5180, "cps_limit_reached", 2, False, _ZENTRUNK),
        (5190, "concurrent_call_limit_exceeded", 2, False, _ZENTRUNK),
        (5200, "server_timeout", 3, False, (FAR,)),
    ],
    # "user" is the customer's side in Zentrunk's names.
    "Mid-Call & Service Errors (5220-5360)": [
        (5220, "service_interrupted_by_customer", 2, True, _CUSTOMER),
        (5230, "service_interrupted_by_customer", 1, True, _CUSTOMER),
        (5240, "service_interrupted_by_nomedia", 3, True, _ZENTRUNK),
        (5250, "internal_error", 2, True, _ZENTRUNK),
        (5260, "internal_error_routing", 1, True, _ZENTRUNK),
        (5270, "internal_error_media_service", 1, True, _ZENTRUNK),
        (5290, "internal_error_trunk", 1, True, _ZENTRUNK),
        (5300, "bad_gateway", 2, True, (FAR,)),
        (5310, "service_interrupted_by_carrier_4xx", 2, True, _CARRIER),
        (5320, "service_interrupted_by_carrier_5xx_6xx", 2, True, _CARRIER),
        (5330, "server_timeout", 1, False, (FAR,)),
        (5340, "server_timeout", 1, False, (FAR,)),
        (5350, "service_unavailable_by_carrier", 3, False, _CARRIER),
        (5360, "service_unavailable_by_user", 2, False, _CUSTOMER),
    ],
    "Global Failures (6000-6070)": [
        (6000, "busy_everywhere", 8, False, (FAR,)),
        (6020, "does_not_exist_anywhere", 3, False, (FAR,)),
        (6030, "alloted_timeout", 10, False, _ZENTRUNK),
        (6040, "declined_from_carrier", 12, False, _CARRIER),
        (6070, "not_acceptable", 1, False, (FAR,)),
    ],
}

# A code outside its product's table: each product's own spelling of "unknown".
UNKNOWN_NAMES = {VOICE: "Unknown", ZENTRUNK: "unknown"}
CATALOGUE: tuple[Cause, ...] = tuple(
    Cause(product, code, name, group, weight, answered, ends)
    for product, groups in ((VOICE, _VOICE_GROUPS), (ZENTRUNK, _ZENTRUNK_GROUPS))
    for group, entries in groups.items()
    for code, name, weight, answered, ends in entries
)


def causes(product: str) -> list[Cause]:
    """The product's catalogue, in the order Plivo lists it."""
    return [cause for cause in CATALOGUE if cause.product == product]


@cache
def _by_code(product: str) -> dict[int, Cause]:
    return {cause.code: cause for cause in causes(product)}


def find(product: str, code: int) -> Cause | None:
    """The product's entry for the code, or None when its table has no such code."""
    return _by_code(product).get(code)


def name_for(product: str, code: int) -> str:
    """The product's name for the code; a code outside its table reads as unknown."""
    cause = _by_code(product).get(code)
    return cause.name if cause else UNKNOWN_NAMES[product]


def sources_for(product: str, code: int, *, outbound: bool) -> tuple[str, ...]:
    """The sources that end a call with this cause (the seeder picks one at random)."""
    ends = _by_code(product)[code].ends
    if product == VOICE:
        return ends
    return tuple(zentrunk_side(s, outbound=outbound) if s in (NEAR, FAR) else s for s in ends)


# --- a switch's words -> the product's codes -----------------------------------------------------
UNKNOWN_CAUSE = 0  # Voice's "Unknown"; outside Zentrunk's table, which reads it "unknown"

# A SIP final response -> the product's hangup cause (a CarrierX record's `sipcause`, a
# Kamailio CDR's `sip_code`; docs/operations.md, "import_calls"); 200 on Zentrunk is 3010
# or 3000 by who hung up (`cause_for_sip`).
SIP_TO_CAUSE = {
    VOICE: {
        "200": 4000, "404": 3050, "408": 3070, "480": 3000, "486": 3010, "487": 1000,
        "503": 3090, "600": 3100, "603": 3110,
    },
    ZENTRUNK: {
        "200": 3010, "404": 4310, "408": 4160, "480": 4330, "486": 4410, "487": 4440,
        "503": 5350, "600": 6000, "603": 6040,
    },
}  # fmt: skip
# The seeder's sipcause for a cause that ended a call unanswered (its inverse, first
# wins); causes with no SIP answer of their own get 503.
CAUSE_TO_SIP = {
    product: {code: sip for sip, code in reversed(table.items()) if sip != "200"}
    for product, table in SIP_TO_CAUSE.items()
}
OTHER_SIP = "503"

# A Q.850 cause name (FreeSWITCH's `hangup_cause`) -> (Voice code, Zentrunk code).
# Zentrunk's NORMAL_CLEARING is 3010 when the customer hung up and 3000 when the carrier did
# (`cause_for_q850`).
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


def cause_for_sip(product: str, sipcause: str, source: str) -> int:
    """The product's hangup cause for a SIP final response (unknown: 0)."""
    return _by_whom(product, SIP_TO_CAUSE[product].get(sipcause, UNKNOWN_CAUSE), source)


def cause_for_q850(product: str, name: str, source: str) -> int:
    """The product's hangup cause for a Q.850 cause name (unknown: 0)."""
    voice, zentrunk = Q850.get(name.upper(), (UNKNOWN_CAUSE, UNKNOWN_CAUSE))
    return voice if product == VOICE else _by_whom(product, zentrunk, source)


def _by_whom(product: str, code: int, source: str) -> int:
    """Zentrunk's normal hangup is 3010 by the customer and 3000 by the carrier."""
    if product == ZENTRUNK and code == 3010 and source == "carrier":
        return 3000  # normal_hangup, by the carrier
    return code
