"""Realistic synthetic CDRs, deterministic for a given seed.

Shapes the data like a real voice platform's: a few busy numbers and many rare ones,
national and international destinations, ~60/40 outbound/inbound, ~30% unanswered,
heavy-tailed talk times, billing rounded up to the increment, hangup causes drawn by
their catalogue weight, a STIR mix, child legs for some calls, and a daily rhythm.

Rows come out as tuples in `COLUMNS` order, ready for COPY: the seeder must reach 100k
rows/s on two cores, so the hot loop avoids dicts, Decimal arithmetic and
`random.choices` (weighted picks use precomputed tables). Data is generated in chunks,
chunk k seeded from (seed, k), so the output does not depend on how many processes make it.
Chunk k covers the k-th slice of the time distribution and is sorted by end time: rows
arrive in time order, as a switch's CDR feed does, which keeps index inserts local.
"""

from __future__ import annotations

import bisect
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from calls.store import catalogue as hangup_causes

COLUMNS = (
    "call_uuid", "account_id", "parent_call_uuid", "from_number", "to_number",
    "from_number_norm", "to_number_norm", "call_direction", "initiation_time", "answer_time",
    "end_time", "date_insert", "call_duration", "duration", "bill_duration", "billed_duration",
    "total_amount", "total_rate", "hangup_cause_code", "hangup_source", "sipcause",
    "disconnect_originator", "stir_verification", "stir_attest", "stir_identity",
    "stir_orig_id", "stir_signing_entity", "stir_verstat", "codec_src", "codec_dst",
    "transcoded", "ip_src", "ip_dst", "sipcallid_src", "sipcallid_dst", "number_billing",
    "number_external", "type", "user_data", "version",
)  # fmt: skip
IDX = {name: i for i, name in enumerate(COLUMNS)}

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
MISSED_SIPCAUSES = ["486", "487", "480", "404", "603"]
CHUNK = 10_000


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


class CallGenerator:
    """Yields call rows (tuples in COLUMNS order). Same arguments, same rows."""

    def __init__(
        self,
        *,
        account_ids: Sequence[int],
        weights: Sequence[float] | None = None,
        days: int = 90,
        seed: int = 0,
        now: datetime | None = None,
    ) -> None:
        # The account set is part of the seed: the same --seed for other accounts must not
        # produce the same call_uuids.
        self.seed = f"{seed}/{hash(tuple(sorted(set(account_ids)))) & 0xFFFFFFFF:08x}"
        self.days = days
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self.start = self.now - timedelta(days=days)
        self.accounts = weighted_table(account_ids, weights or [1.0] * len(account_ids), 8192)
        # Cumulative share of traffic per hour of the whole span (daily rhythm).
        self.hour_cdf = []
        total = 0.0
        for hour in range(days * 24):
            total += HOURLY[(self.start.hour + hour) % 24]
            self.hour_cdf.append(total)
        self.destinations = weighted_table(DESTINATIONS, [d[2] for d in DESTINATIONS])
        causes = hangup_causes.entries("zentrunk")
        answered = [c for c in causes if c["answered"]]
        missed = [c for c in causes if not c["answered"]]
        self.answered_causes = weighted_table(
            [c["code"] for c in answered], [c["weight"] for c in answered]
        )
        self.missed_causes = weighted_table(
            [c["code"] for c in missed], [c["weight"] for c in missed]
        )
        setup = random.Random(f"{seed}-setup")
        # Each account owns eight numbers; a few of them carry most of its traffic.
        self.own_rank = weighted_table(range(8), [1 / (rank + 1) ** 1.2 for rank in range(8)])
        self.own_numbers = {
            acc: [_number(setup, DESTINATIONS[setup.randrange(2)]) for _ in range(8)]
            for acc in set(account_ids)
        }
        # Frequent contacts shared by all; everything else is a one-off number.
        self.frequent = [_number(setup, setup.choice(self.destinations)) for _ in range(300)]

    def rows(self, count: int) -> Iterator[tuple]:
        """Exactly `count` rows (child legs count towards it), oldest first."""
        chunks = max(1, -(-count // CHUNK))
        for index in range(chunks):
            size = min(CHUNK, count - index * CHUNK)
            yield from self.chunk(index, size, chunks)

    def chunk(self, index: int, size: int, chunks: int) -> list[tuple]:
        """Rows of the `index`-th of `chunks` slices of the time distribution, by end time."""
        rng = random.Random(f"{self.seed}-{index}")
        out: list[tuple] = []
        while len(out) < size:
            end = self._end_time(rng, (index + rng.random()) / chunks)
            row = self._one(rng, end)
            out.append(row)
            if row[7] == "outbound" and len(out) < size and rng.random() < CHILD_LEG_SHARE:
                out.append(self._child(rng, row))
        out.sort(key=_end_key)
        return out

    def first_row(self, index: int, chunks: int) -> tuple:
        """The first row `chunk(index, …, chunks)` generates (before sorting): a cheap
        fingerprint of the chunk, to tell whether it is already stored."""
        rng = random.Random(f"{self.seed}-{index}")
        return self._one(rng, self._end_time(rng, (index + rng.random()) / chunks))

    def _end_time(self, rng: random.Random, quantile: float) -> datetime:
        """The moment at `quantile` of the traffic distribution (hourly buckets)."""
        target = quantile * self.hour_cdf[-1]
        hour = min(bisect.bisect_left(self.hour_cdf, target), len(self.hour_cdf) - 1)
        seconds = hour * 3600 + rng.random() * 3600
        end = self.start + timedelta(seconds=round(seconds, 3))
        return min(end, self.now)

    def _one(self, rng: random.Random, end: datetime) -> tuple:
        account = self.accounts[int(rng.random() * len(self.accounts))]
        own = self.own_numbers[account][self.own_rank[int(rng.random() * len(self.own_rank))]]
        outbound = rng.random() < OUTBOUND_SHARE
        if rng.random() < 0.35:
            other = self.frequent[int(rng.random() * len(self.frequent))]
            rate = _rate_for(other) if outbound else INBOUND_RATE
        else:
            dest = self.destinations[int(rng.random() * len(self.destinations))]
            other = _number(rng, dest)
            rate = dest[3] if outbound else INBOUND_RATE
        src, dst = (own, other) if outbound else (other, own)
        return self._row(rng, account, src, dst, outbound, rate, end, None)

    def _child(self, rng: random.Random, parent: tuple) -> tuple:
        """A B-leg: same account, dialled from the parent's destination, ending with it."""
        dest = self.destinations[int(rng.random() * len(self.destinations))]
        return self._row(
            rng, parent[1], parent[6], _number(rng, dest), True, dest[3], parent[10], parent[0]
        )

    def _row(self, rng, account, src, dst, outbound, rate, end, parent) -> tuple:
        ring = 1.5 + rng.random() * 23.5
        if rng.random() < ANSWERED_SHARE:
            # Log-normal talk time: median ~70 s, a long tail into hours.
            talk = min(math.exp(rng.gauss(4.25, 1.3)), 14400.0)
            bill = max(1, int(talk))
            billed = -(-bill // BILLING_INCREMENT) * BILLING_INCREMENT
            answer = end - timedelta(seconds=round(talk, 3))
            start = answer - timedelta(seconds=round(ring, 3))
            cause = self.answered_causes[int(rng.random() * len(self.answered_causes))]
            sipcause = "200"
        else:
            bill = billed = 0
            answer = None
            start = end - timedelta(seconds=round(ring, 3))
            cause = self.missed_causes[int(rng.random() * len(self.missed_causes))]
            sipcause = MISSED_SIPCAUSES[int(rng.random() * 5)]
        total = (end - start).total_seconds()
        us = src[0] == "1" and dst[0] == "1"
        roll = rng.random()
        if not us or roll >= 0.85:
            stir, attest, verstat = "Not Applicable", None, "No-TN-Validation" if us else None
        elif roll < 0.6:
            stir, attest, verstat = "Verified", "A", "TN-Validation-Passed"
        else:
            stir, attest, verstat = (
                "Not Verified",
                "B" if roll < 0.75 else "C",
                "TN-Validation-Passed",
            )
        codec_src = CODECS[int(rng.random() * 6)]
        codec_dst = codec_src if rng.random() < 0.8 else CODECS[int(rng.random() * 6)]
        plus = rng.random() < 0.7
        bits = rng.getrandbits(128)
        source = "customer" if roll < 0.55 else ("carrier" if roll < 0.95 else "zentrunk")
        return (
            uuid.UUID(int=bits & ~(0xF000 << 64) | (0x4000 << 64), version=4),
            account,
            parent,
            "+" + src if plus else src,
            dst if plus else "+" + dst,
            src,
            dst,
            "outbound" if outbound else "inbound",
            start,
            answer,
            end,
            end + timedelta(seconds=1 + (bits & 63)),
            int(total),
            f"{total:.5f}",
            bill,
            billed,
            money(billed // 60 * rate),
            money(rate),
            cause,
            source,
            sipcause,
            "SRC" if bits & 64 else "DST",
            stir,
            attest,
            "true" if attest else None,
            "+" + src if attest else None,
            "cdrapi" if attest else None,
            verstat,
            codec_src,
            codec_dst,
            codec_src != codec_dst,
            f"198.51.100.{(bits >> 8) & 0xFF or 1}",
            f"203.0.113.{(bits >> 16) & 0xFF or 1}:5060",
            f"{(bits >> 24) & 0xFFFFFFFFFFFF:012x}@198.51.100.7",
            f"{(bits >> 72) & 0xFFFFFFFFFFFF:012x}@203.0.113.9",
            src if outbound else dst,
            dst if outbound else src,
            "telecom",
            "{}",
            2,
        )


def _end_key(row: tuple) -> datetime:
    return row[10]


def _number(rng: random.Random, dest: tuple) -> str:
    prefix, digits = dest[0], dest[1]
    return prefix + str(rng.randrange(2 * 10 ** (digits - 1), 10**digits))


def _rate_for(number: str) -> int:
    for prefix, _digits, _share, rate in sorted(DESTINATIONS, key=lambda d: -len(d[0])):
        if number.startswith(prefix):
            return rate
    return DESTINATIONS[0][3]
