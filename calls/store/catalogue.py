"""Plivo's two hangup-cause catalogues, keyed by (product, code), from
fixtures/hangup_causes.json (docs/plivo.md, "Hangup causes").

The Voice API and SIP trunking (Zentrunk) reuse numbers with different meanings (3000 is
"No Answer" on Voice and "normal_hangup" on Zentrunk), so a code means something only
with its product. The same file is loaded into the HangupCause table by migrate (for the
admin and SQL), and read here once per process so that rendering a page costs no query.
`weight` is how often the seeder draws a cause; `answered` whether it ends answered calls.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

CATALOGUE_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "hangup_causes.json"
# A code outside its product's table: each product's own spelling of "unknown".
UNKNOWN_NAMES = {"voice": "Unknown", "zentrunk": "unknown"}


@cache
def catalogue() -> list[dict]:
    return json.loads(CATALOGUE_PATH.read_text())


@cache
def names() -> dict[tuple[str, int], str]:
    return {(entry["product"], entry["code"]): entry["name"] for entry in catalogue()}


def entries(product: str) -> list[dict]:
    return [entry for entry in catalogue() if entry["product"] == product]


def name_for(product: str, code: int) -> str:
    """The product's name for the code; a code outside its table reads as unknown."""
    return names().get((product, code), UNKNOWN_NAMES[product])
