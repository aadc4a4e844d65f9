"""How the synthetic calls are shaped (calls/bulk/synthetic.py makes them): the traffic
mix, the number blocks, the quality laws. Split from the generator to keep each module
readable; the numbers here are what docs/operations.md's "seed_calls" describes."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from functools import cache
from statistics import NormalDist

from calls.vocabulary.choices import VOICE, ZENTRUNK
from calls.writing.countries import country_of

# (country prefix, national digits, share of traffic, per-minute rate in 1e-5 units)
DESTINATIONS = [
    ("1", 10, 55, 850),
    ("44", 10, 10, 1200),
    ("49", 10, 7, 1500),
    ("33", 9, 6, 1300),
    ("91", 10, 8, 2100),
    ("55", 11, 5, 2400),
    ("61", 9, 4, 1900),
    ("81", 10, 3, 3200),
    ("234", 10, 2, 9500),
]
INBOUND_RATE = 850
BILLING_INCREMENT = 60
OUTBOUND_SHARE = 0.6
ANSWERED_SHARE = 0.7
CHILD_LEG_SHARE = 0.08
# Answered calls end with these; the rest are causes of calls that never connected.
# Relative traffic per hour of day (UTC): quiet nights, busy office hours.
HOURLY = [1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 10, 11, 12, 12, 11, 9, 7, 5, 4, 3, 2, 1]
CODECS = ["pcmu", "pcma", "g722", "opus", "amrwb", "g729"]
# Products: "mixed" gives Voice to this share of the accounts (picked by the seed).
MIXED = "mixed"
VOICE_ACCOUNT_SHARE = 0.3
# A Zentrunk account's trunk: TLS (with SRTP and secure trunking, at this rate per
# minute) on this share of trunks, UDP or TCP (3:1) on the others.
TLS_SHARE = 0.25
SECURE_TRUNKING_RATE = "0.00050"
QUALITY_SHARE = 0.7  # answered calls whose quality (Insights) is reported
# A number is a block (country code and leading digits) and BLOCK_DIGITS free digits;
# each destination has BLOCKS blocks, all of whose numbers libphonenumber places in one
# country, so a number's country is its block's, found once (see number_blocks).
BLOCK_DIGITS = 4
BLOCKS = 128


def weighted_table(items: Sequence, weights: Sequence[float], size: int = 4096) -> list:
    """A list in which each item appears in proportion to its weight: pick with one index."""
    total = float(sum(weights))
    table: list = []
    for item, weight in zip(items, weights, strict=True):
        table.extend([item] * max(1, round(size * weight / total)))
    return table


def money(units: int) -> str:
    """1e-5 units as a decimal string with 5 places (exact, no Decimal arithmetic)."""
    return f"{units // 100_000}.{units % 100_000:05d}"


def account_products(
    account_ids: Sequence[int], *, product: str = MIXED, seed: int = 0
) -> dict[int, str]:
    """Each account's product: all `product`, or (mixed) Voice for round(30%) of the
    accounts, picked by the seed (a lone account is Zentrunk, the default product)."""
    accounts = sorted(set(account_ids))
    if product != MIXED:
        return dict.fromkeys(accounts, product)
    voice = set(
        random.Random(f"{seed}-products").sample(
            accounts, round(VOICE_ACCOUNT_SHARE * len(accounts))
        )
    )
    return {a: VOICE if a in voice else ZENTRUNK for a in accounts}


@cache
def number_blocks() -> dict[str, dict[str, str]]:
    """destination prefix -> {block: country}: BLOCKS blocks of numbers per destination
    that libphonenumber places in one country (first, middle and last number agree).

    Made once per process from a fixed seed (~0.1 s: parsing is what costs), so a row's
    countries cost two dict lookups instead of two parses.
    """
    rng = random.Random("number-blocks")
    blocks: dict[str, dict[str, str]] = {}
    for prefix, digits, _share, _rate in DESTINATIONS:
        found: dict[str, str] = {}
        low, high = 2 * 10 ** (digits - BLOCK_DIGITS - 1), 10 ** (digits - BLOCK_DIGITS)
        while len(found) < BLOCKS:
            block = prefix + str(rng.randrange(low, high))
            country = country_of(block + "0000")
            if country and country_of(block + "5000") == country == country_of(block + "9999"):
                found[block] = country
        blocks[prefix] = found
    return blocks


def _lognormal_table(median: float, sigma: float, *, cap: float, places: int) -> list[float]:
    """1024 evenly spaced quantiles of a log-normal law, rounded: a draw is one index."""
    normal = NormalDist(math.log(median), sigma)
    return [
        round(min(cap, math.exp(normal.inv_cdf((i + 0.5) / 1024))), places) for i in range(1024)
    ]


# Round trips longer abroad; jitter and loss mostly small with a tail (loss: 80% of calls
# under 0.3%).
RTT = {True: _lognormal_table(55, 0.35, cap=2000, places=1),
       False: _lognormal_table(150, 0.35, cap=2000, places=1)}  # fmt: skip
JITTER = _lognormal_table(3.3, 0.7, cap=200, places=1)
LOSS = [round(i * 0.3 / 820, 2) for i in range(820)] + _lognormal_table(1, 1, cap=25, places=2)[
    820:
]


def quality_of(rng: random.Random, ring: float, domestic: bool) -> tuple:
    """(rtt ms, jitter ms, packet loss %, post-dial delay s, quality score 1-5), the
    score falling with all three (an E-model-like MOS, at most 4.5)."""
    rtt = RTT[domestic][int(rng.random() * 1024)]
    jitter = JITTER[int(rng.random() * 1024)]
    loss = LOSS[int(rng.random() * 1024)]
    post_dial = min(ring, (0.8 if domestic else 1.8) + rng.random() * 2.5)
    score = max(1.0, min(4.5, 4.45 - rtt / 1000 - jitter / 50 - loss * 0.25))
    return rtt, jitter, loss, round(post_dial, 2), round(score, 1)


def rate_for(number: str) -> int:
    for prefix, _digits, _share, rate in sorted(DESTINATIONS, key=lambda d: -len(d[0])):
        if number.startswith(prefix):
            return rate
    return DESTINATIONS[0][3]
