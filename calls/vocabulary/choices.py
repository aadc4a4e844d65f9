"""The closed sets of a call's values: the model's choices, the importer's and the faces'
checks, the OpenAPI enums all read them here."""

from __future__ import annotations

DIRECTIONS = ("inbound", "outbound")
STIR_VERIFICATIONS = ("Verified", "Not Verified", "Not Applicable")
# Each call is a Voice API call or a SIP-trunking (Zentrunk) call; the two Plivo paths
# serve one each, with their own hangup catalogues and sources (docs/plivo.md, "Products").
VOICE, ZENTRUNK = "voice", "zentrunk"
PRODUCTS = (VOICE, ZENTRUNK)
TRANSPORTS = ("udp", "tcp", "tls")
ATTESTATIONS = ("A", "B", "C")
