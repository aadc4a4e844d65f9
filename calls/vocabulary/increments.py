"""Billing increments as carriers write them: "first/next" in seconds ("60/60", "1/1", "30/6").

A call of `d` billable seconds is billed the first interval whole, then whole next
increments: 61 s at 30/6 is 30 + 6 * ceil(31 / 6) = 66 s. A call of 0 s is billed 0 s.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

MAX_INTERVAL = 3600  # an hour; nothing real bills in bigger steps
_INCREMENT_RE = re.compile(r"([0-9]{1,4})/([0-9]{1,4})")
_CENTS = Decimal("0.00001")  # the store's money precision (5 decimals)


class IncrementError(ValueError):
    """A billing increment that is not "first/next" with both between 1 and 3600 s."""


def parse_increment(text: str) -> tuple[int, int]:
    """ "30/6" -> (30, 6). Raises IncrementError with a sentence for anything else."""
    match = _INCREMENT_RE.fullmatch(text.strip())
    if not match:
        raise IncrementError(
            f"increment {text[:20]!r} is not first/next in seconds, e.g. 60/60, 1/1 or 30/6"
        )
    first, step = int(match[1]), int(match[2])
    if not (1 <= first <= MAX_INTERVAL and 1 <= step <= MAX_INTERVAL):
        raise IncrementError(
            f"increment {text[:20]!r}: both intervals must be 1 to {MAX_INTERVAL} seconds"
        )
    return first, step


def format_increment(first: int, step: int) -> str:
    return f"{first}/{step}"


def billed_seconds(seconds: int, first: int, step: int) -> int:
    """`seconds` of talk rounded up to the increment (integer arithmetic, no floats)."""
    if seconds <= 0:
        return 0
    if seconds <= first:
        return first
    return first + -(-(seconds - first) // step) * step


def amount(billed: int, per_minute: Decimal) -> Decimal:
    """The price of `billed` seconds at `per_minute`, to the store's 5 decimals (half up)."""
    return (per_minute * billed / 60).quantize(_CENTS, rounding=ROUND_HALF_UP)
