"""Who ends a call with each hangup cause, and the SIP status behind it, per product.

Plivo publishes the side only for Zentrunk codes 3000-4020 (3000 normal_hangup by the
carrier, 3010 by the customer, 4020 unauthorized by the customer…;
/work/shared/spec/plivo-hangup-causes.md); the rest is our reading of each cause's
name, written down once here. The seeder draws a call's `hangup_source` from its cause's
entry; the importer only checks a recorded source against its product's vocabulary
(a real switch knows better than this table), and maps CarrierX SIP causes with
`SIP_TO_CAUSE`.

A Zentrunk entry may name a side relative to the call: NEAR is the calling party's side,
FAR the called one's. The customer's PBX calls out through the carrier on an outbound
call and is called through it on an inbound one, so "the far end was busy" is the
carrier on an outbound call and the customer on an inbound one.
"""

from __future__ import annotations

from calls.vocabulary.choices import VOICE, ZENTRUNK

NEAR, FAR = "near", "far"

_BOTH_PARTIES = ("Caller", "Callee")
VOICE_SOURCES: dict[int, tuple[str, ...]] = {
    # Normal completions: either party hangs up; XML that runs out, Plivo or the API end
    # the rest.
    4000: _BOTH_PARTIES, 4010: ("Answer XML",), 4020: ("Plivo",), 4030: ("API Request",),
    # Canceled: the caller gave up, or Plivo refused to go on.
    0: ("Unknown",), 1000: ("Caller",), 1010: ("Plivo",), 1020: ("Plivo",),
    # Destination issues: the network could not reach it, or Plivo would not dial it.
    2000: ("Carrier",), 2010: ("Carrier",), 2020: ("Plivo",), 2030: ("Plivo",),
    2040: ("Plivo",), 2050: ("Plivo",), 2060: ("Plivo",), 2070: ("Plivo",),
    # Rejections: nobody answered before Plivo's ring timeout or the carrier's, the callee
    # was busy or declined, or the carrier refused the call.
    3000: ("Plivo", "Carrier"), 3010: ("Callee", "Carrier"), 3020: ("Callee",),
    3030: ("Carrier",), 3040: ("Carrier",), 3050: ("Carrier",),
    3070: ("Carrier",), 3080: ("Carrier",), 3090: ("Carrier",), 3100: ("Carrier",),
    3110: ("Callee",), 3120: ("Carrier",), 3130: ("Carrier",), 3140: ("Carrier",),
    5000: ("Error",), 5010: ("Error",), 5020: ("Error",),
    6000: ("Plivo",), 6010: ("Plivo",), 6020: ("Plivo",),
    7011: ("Error",), 7012: ("Error",), 7013: ("Error",), 7014: ("Error",),
    7022: ("Error",), 7023: ("Error",), 7024: ("Error",), 7032: ("Error",),
    7033: ("Error",), 7034: ("Error",),
    8011: ("Error",), 8012: ("Error",), 8013: ("Error",), 8014: ("Error",),
    9000: ("Plivo",), 9100: ("Plivo",), 9110: ("Plivo",),
}  # fmt: skip

_CARRIER, _CUSTOMER, _ZENTRUNK = ("carrier",), ("customer",), ("zentrunk",)
ZENTRUNK_SOURCES: dict[int, tuple[str, ...]] = {
    3000: _CARRIER, 3010: _CUSTOMER, 3020: _ZENTRUNK, 3030: _ZENTRUNK, 3040: _ZENTRUNK,
    4000: _ZENTRUNK, 4010: _CARRIER, 4020: _CUSTOMER, 4030: _ZENTRUNK, 4040: _ZENTRUNK,
    4050: _ZENTRUNK, 4060: _ZENTRUNK,
    # Routing and caller-id checks are Zentrunk's own.
    4070: _ZENTRUNK, 4080: _ZENTRUNK, 4090: _ZENTRUNK, 4100: _ZENTRUNK, 4110: _ZENTRUNK,
    4120: _ZENTRUNK, 4130: _ZENTRUNK, 4140: _ZENTRUNK, 4190: _ZENTRUNK, 4200: _ZENTRUNK,
    4150: _CARRIER, 4160: _CARRIER, 4170: _CUSTOMER, 4220: (FAR,), 4230: (FAR,),
    4270: (FAR,),
    4310: (FAR,), 4320: (FAR,), 4330: (FAR,), 4340: (FAR,), 4350: (FAR,), 4360: (FAR,),
    4370: _ZENTRUNK, 4380: _ZENTRUNK,
    # The called party was busy or did not pick up; the caller, or the carrier, gave up.
    4410: (FAR,), 4420: _CARRIER, 4430: (FAR,), 4440: (NEAR,), 4500: (FAR,), 4520: (FAR,),
    4540: (FAR,), 4550: (NEAR,),
    4560: _ZENTRUNK, 4570: _ZENTRUNK, 4580: _ZENTRUNK, 4590: _ZENTRUNK,
    4610: (FAR,), 4620: (FAR,), 4630: _CARRIER, 4640: _CUSTOMER,
    5000: _ZENTRUNK, 5010: _ZENTRUNK, 5020: _ZENTRUNK, 5030: _CARRIER, 5040: _CUSTOMER,
    5180: _ZENTRUNK, 5190: _ZENTRUNK, 5200: (FAR,),
    # Mid-call: "user" is the customer's side in Zentrunk's names.
    5220: _CUSTOMER, 5230: _CUSTOMER, 5240: _ZENTRUNK, 5250: _ZENTRUNK, 5260: _ZENTRUNK,
    5270: _ZENTRUNK, 5290: _ZENTRUNK, 5300: (FAR,), 5310: _CARRIER, 5320: _CARRIER,
    5330: (FAR,), 5340: (FAR,), 5350: _CARRIER, 5360: _CUSTOMER,
    6000: (FAR,), 6020: (FAR,), 6030: _ZENTRUNK, 6040: _CARRIER, 6070: (FAR,),
}  # fmt: skip

SOURCES = {VOICE: VOICE_SOURCES, ZENTRUNK: ZENTRUNK_SOURCES}

# A CarrierX record's SIP final response -> the product's hangup cause (README,
# "Importing"); 200 on Zentrunk is 3010 or 3000 by who hung up (see `cause_for_sip`).
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
UNKNOWN_CAUSE = 0  # Voice's "Unknown"; outside Zentrunk's table, which reads it "unknown"
# The seeder's sipcause for a cause that ended a call unanswered (its inverse, first
# wins); causes with no SIP answer of their own get 503.
CAUSE_TO_SIP = {
    product: {code: sip for sip, code in reversed(table.items()) if sip != "200"}
    for product, table in SIP_TO_CAUSE.items()
}
OTHER_SIP = "503"


def sources_for(product: str, code: int, *, outbound: bool) -> tuple[str, ...]:
    """The sources that end a call with this cause (the seeder picks one at random)."""
    entry = SOURCES[product][code]
    if product == VOICE:
        return entry
    near, far = ("customer", "carrier") if outbound else ("carrier", "customer")
    return tuple(near if s == NEAR else far if s == FAR else s for s in entry)


def cause_for_sip(product: str, sipcause: str, source: str) -> int:
    """A CarrierX record's hangup cause, from its SIP final response."""
    code = SIP_TO_CAUSE[product].get(sipcause, UNKNOWN_CAUSE)
    if product == ZENTRUNK and code == 3010 and source == "carrier":
        return 3000  # normal_hangup, by the carrier
    return code
