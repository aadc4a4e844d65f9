"""Realistic synthetic CDRs, deterministic for a given seed.

Shapes the data like a real voice platform's: a few busy numbers and many rare ones,
national and international destinations, ~60/40 outbound/inbound, ~30% unanswered,
heavy-tailed talk times, billing rounded up to the increment, a STIR mix, child legs for
some calls, and a daily rhythm. Each account carries one product (docs/operations.md, "seed_calls"):
Voice API calls or SIP-trunking (Zentrunk) calls, ~30% of accounts Voice when mixed.
A call's hangup cause is drawn from its product's catalogue by weight (answered calls
from the causes that end answered calls), its source from the sides that end a call with
that cause (calls/vocabulary/hangup.py); a Zentrunk account has one trunk (domain,
transport, SRTP); countries are libphonenumber's; ~70% of answered calls report quality.

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

from calls.bulk.synthetic_shapes import (
    ANSWERED_SHARE,
    BILLING_INCREMENT,
    BLOCK_DIGITS,
    CHILD_LEG_SHARE,
    CODECS,
    DESTINATIONS,
    HOURLY,
    INBOUND_RATE,
    MIXED,
    OUTBOUND_SHARE,
    QUALITY_SHARE,
    SECURE_TRUNKING_RATE,
    TLS_SHARE,
    account_products,
    money,
    number_blocks,
    quality_of,
    rate_for,
    weighted_table,
)
from calls.vocabulary import hangup
from calls.vocabulary.choices import PRODUCTS, VOICE

COLUMNS = (
    "call_uuid", "account_id", "parent_call_uuid", "from_number", "to_number",
    "from_number_norm", "to_number_norm", "call_direction", "initiation_time", "answer_time",
    "end_time", "date_insert", "call_duration", "duration", "bill_duration", "billed_duration",
    "total_amount", "total_rate", "hangup_cause_code", "hangup_source", "sipcause",
    "disconnect_originator", "stir_verification", "stir_attest", "stir_identity",
    "stir_orig_id", "stir_signing_entity", "stir_verstat", "codec_src", "codec_dst",
    "transcoded", "ip_src", "ip_dst", "sipcallid_src", "sipcallid_dst", "number_billing",
    "number_external", "type", "user_data", "version", "product", "from_country",
    "to_country", "trunk_domain", "transport_protocol", "srtp", "secure_trunking",
    "secure_trunking_rate", "rtt", "jitter", "packet_loss", "post_dial_delay", "quality_score",
)  # fmt: skip
IDX = {name: i for i, name in enumerate(COLUMNS)}

CHUNK = 10_000
PRODUCT_CHOICES = (*PRODUCTS, MIXED)


class CallGenerator:
    """Yields call rows (tuples in COLUMNS order). Same arguments, same rows."""

    def __init__(
        self,
        *,
        account_ids: Sequence[int],
        weights: Sequence[float] | None = None,
        days: int = 90,
        seed: int = 0,
        profile_seed: int | None = None,
        now: datetime | None = None,
        product: str = MIXED,
    ) -> None:
        # The account set and the product are part of the seed: the same --seed for other
        # accounts or another product must not produce the same call_uuids.
        accounts = hash(tuple(sorted(set(account_ids)))) & 0xFFFFFFFF
        self.seed = f"{seed}/{accounts:08x}" + ("" if product == MIXED else f"/{product}")
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
        # The accounts' profile (products, own numbers, trunks) comes from `profile_seed`
        # (default: `seed`): more calls of the same customers under a new seed keep it.
        profile = seed if profile_seed is None else profile_seed
        self.products = account_products(account_ids, product=product, seed=profile)
        # Per product: weighted tables of the causes of answered and of unanswered calls,
        # and for each (cause, outbound) the sources that end a call so.
        self.answered_causes, self.missed_causes, self.sources = {}, {}, {}
        for name in PRODUCTS:
            causes = hangup.causes(name)
            for answered, tables in ((True, self.answered_causes), (False, self.missed_causes)):
                picked = [c for c in causes if c.answered is answered]
                tables[name] = weighted_table([c.code for c in picked], [c.weight for c in picked])
            self.sources[name] = {
                (c.code, outbound): hangup.sources_for(name, c.code, outbound=outbound)
                for c in causes
                for outbound in (True, False)
            }
        self.sipcauses = hangup.CAUSE_TO_SIP
        blocks = number_blocks()
        self.blocks = {prefix: list(found) for prefix, found in blocks.items()}
        self.countries = {b: c for found in blocks.values() for b, c in found.items()}
        setup = random.Random(f"{profile}-setup")
        # Each account owns eight numbers; a few of them carry most of its traffic.
        self.own_rank = weighted_table(range(8), [1 / (rank + 1) ** 1.2 for rank in range(8)])
        self.own_numbers = {
            acc: [self._number(setup, DESTINATIONS[setup.randrange(2)]) for _ in range(8)]
            for acc in sorted(set(account_ids))
        }
        # Frequent contacts shared by all; everything else is a one-off number.
        self.frequent = [self._number(setup, setup.choice(self.destinations)) for _ in range(300)]
        # (trunk_domain, transport_protocol, srtp, secure_trunking, secure_trunking_rate)
        # per account: one trunk per Zentrunk account, none for Voice.
        trunks = random.Random(f"{profile}-trunks")
        self.trunks = {}
        for acc, name in self.products.items():
            domain = f"{trunks.randrange(10**13, 10**14)}.zt.plivo.com"
            roll = trunks.random()
            if name == VOICE:
                self.trunks[acc] = (None, None, False, False, None)
            elif roll < TLS_SHARE:
                self.trunks[acc] = (domain, "tls", True, True, SECURE_TRUNKING_RATE)
            else:
                transport = "udp" if roll < TLS_SHARE + (1 - TLS_SHARE) * 0.75 else "tcp"
                self.trunks[acc] = (domain, transport, False, False, None)

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
            rate = rate_for(other) if outbound else INBOUND_RATE
        else:
            dest = self.destinations[int(rng.random() * len(self.destinations))]
            other = self._number(rng, dest)
            rate = dest[3] if outbound else INBOUND_RATE
        src, dst = (own, other) if outbound else (other, own)
        return self._row(rng, account, src, dst, outbound, rate, end, None)

    def _child(self, rng: random.Random, parent: tuple) -> tuple:
        """A B-leg: same account, dialled from the parent's destination, ending with it."""
        dest = self.destinations[int(rng.random() * len(self.destinations))]
        return self._row(
            rng, parent[1], parent[6], self._number(rng, dest), True, dest[3], parent[10],
            parent[0],
        )  # fmt: skip

    def _number(self, rng: random.Random, dest: tuple) -> str:
        """A number of the destination: one of its blocks, then random digits."""
        blocks = self.blocks[dest[0]]
        return blocks[int(rng.random() * len(blocks))] + f"{int(rng.random() * 10000):04d}"

    def _row(self, rng, account, src, dst, outbound, rate, end, parent) -> tuple:
        product = self.products[account]
        ring = 1.5 + rng.random() * 23.5
        answered = rng.random() < ANSWERED_SHARE
        if answered:
            # Log-normal talk time: median ~70 s, a long tail into hours.
            talk = min(math.exp(rng.gauss(4.25, 1.3)), 14400.0)
            bill = max(1, int(talk))
            billed = -(-bill // BILLING_INCREMENT) * BILLING_INCREMENT
            answer = end - timedelta(seconds=round(talk, 3))
            start = answer - timedelta(seconds=round(ring, 3))
            causes = self.answered_causes[product]
            cause = causes[int(rng.random() * len(causes))]
            sipcause = "200"
        else:
            bill = billed = 0
            answer = None
            start = end - timedelta(seconds=round(ring, 3))
            causes = self.missed_causes[product]
            cause = causes[int(rng.random() * len(causes))]
            sipcause = self.sipcauses[product].get(cause, hangup.OTHER_SIP)
        sources = self.sources[product][cause, outbound]
        source = sources[int(rng.random() * len(sources))]
        bits = rng.getrandbits(128)
        # The side that hung up, in CarrierX's terms (the customer's side is SRC on an
        # outbound call); a source that is no party (Plivo, zentrunk…) gets either.
        if source == "Caller" or source == ("customer" if outbound else "carrier"):
            originator = "SRC"
        elif source == "Callee" or source == ("carrier" if outbound else "customer"):
            originator = "DST"
        else:
            originator = "SRC" if bits & 64 else "DST"
        total = (end - start).total_seconds()
        from_country = self.countries.get(src[:-BLOCK_DIGITS])
        to_country = self.countries.get(dst[:-BLOCK_DIGITS])
        us = src[0] == "1" and dst[0] == "1"
        roll = rng.random()
        if not us or roll >= 0.85:
            stir, attest, verstat = "Not Applicable", None, "No-TN-Validation" if us else None
        elif roll < 0.6:
            # A verified signature attests A mostly, B or C now and then.
            attest = "A" if roll < 0.51 else ("B" if roll < 0.57 else "C")
            stir, verstat = "Verified", "TN-Validation-Passed"
        else:
            stir, attest, verstat = (
                "Not Verified",
                "B" if roll < 0.75 else "C",
                "TN-Validation-Passed",
            )
        codec_src = CODECS[int(rng.random() * 6)]
        codec_dst = codec_src if rng.random() < 0.8 else CODECS[int(rng.random() * 6)]
        plus = rng.random() < 0.7
        if answered and rng.random() < QUALITY_SHARE:
            quality = quality_of(rng, ring, from_country == to_country)
        else:
            quality = (None, None, None, None, None)
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
            originator,
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
            product,
            from_country,
            to_country,
            *self.trunks[account],
            *quality,
        )


def _end_key(row: tuple) -> datetime:
    return row[10]
