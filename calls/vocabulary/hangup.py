"""The hangup vocabulary of both products.

Each product has its own hangup sources (docs/plivo.md, "Products"), and other spellings
of them that clients and exports write.
"""

from __future__ import annotations

from calls.vocabulary.choices import VOICE, ZENTRUNK

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
