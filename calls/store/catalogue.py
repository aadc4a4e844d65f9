"""The hangup-cause catalogue (code -> name), read from fixtures/hangup_causes.json.

The same file is loaded into the HangupCause table by migrate (for the admin and SQL),
and read here once per process so that serialising a page costs no query. `weight` is the
relative frequency the seeder draws causes with.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

CATALOGUE_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "hangup_causes.json"
UNKNOWN_NAME = "Unknown"


@cache
def catalogue() -> list[dict]:
    return json.loads(CATALOGUE_PATH.read_text())


@cache
def names() -> dict[int, str]:
    return {entry["code"]: entry["name"] for entry in catalogue()}


def name_for(code: int) -> str:
    """The catalogue name; a code outside the catalogue reads as "Unknown"."""
    return names().get(code, UNKNOWN_NAME)
