"""Who ended a FreeSWITCH call, in the product's words: its `sip_hangup_disposition` (and,
when the switch ended it, the Q.850 cause it names) -> a hangup source
(docs/freeswitch.md). The cause's code is calls/vocabulary/hangup.py's (`cause_for_q850`).
"""

from __future__ import annotations

from calls.vocabulary.choices import DIRECTIONS, VOICE, ZENTRUNK
from calls.vocabulary.hangup import VOICE_PARTY, cause_for_q850, find, zentrunk_side

# sip_hangup_disposition: `recv_*` is the SIP peer of this leg ending it, `send_*` this
# switch ending it: for the other leg's party when the channel was bridged, else for the
# reason its cause names (busy: the callee; unallocated: the carrier; the catalogue's `ends`).
PEER_ENDED = ("recv_bye", "recv_cancel", "recv_refuse")
SWITCH_ENDED = ("send_bye", "send_cancel", "send_refuse")
# A Voice party's side of the call, for Zentrunk's words (anyone else: the switch itself,
# Zentrunk).
_SIDE = {party: side for side, party in VOICE_PARTY.items()}


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
        entry = find(VOICE, cause_for_q850(VOICE, cause, ""))
        source = next((s for s in entry.ends if s != "Caller"), "Plivo") if entry else "Plivo"
    else:
        source = "Unknown"
    if product == VOICE:
        return source
    if product == ZENTRUNK:
        if source not in _SIDE or direction not in DIRECTIONS:
            return "zentrunk"
        return zentrunk_side(_SIDE[source], outbound=direction == "outbound")
    raise ValueError(product)
