"""Realistic synthetic CDRs, deterministic for a given seed.

Shapes the data like a real voice platform's: a few busy numbers and many rare ones,
national and international destinations, ~60/40 outbound/inbound, ~30% unanswered,
heavy-tailed talk times, billing rounded up to the increment, hangup causes drawn by
their catalogue weight, a STIR mix, child legs for some calls, and a daily rhythm.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from calls import hangup_causes

# (country prefix, national digits after it, share of traffic, per-minute rate)
DESTINATIONS = [
    ("1", 10, 0.55, Decimal("0.00850")),
    ("44", 10, 0.10, Decimal("0.01200")),
    ("49", 10, 0.07, Decimal("0.01500")),
    ("33", 9, 0.06, Decimal("0.01300")),
    ("91", 10, 0.08, Decimal("0.02100")),
    ("55", 11, 0.05, Decimal("0.02400")),
    ("61", 9, 0.04, Decimal("0.01900")),
    ("81", 10, 0.03, Decimal("0.03200")),
    ("234", 10, 0.02, Decimal("0.09500")),
]
INBOUND_RATE = Decimal("0.00850")
BILLING_INCREMENT = 60
# Answered calls end with these; the rest are causes of calls that never connected.
ANSWERED_CAUSES = {0, 4000, 4010, 4020, 4030, 5000, 5010, 5020, 7000, 7010, 8000, 9000}
# Share of calls per hour of day (UTC): quiet nights, busy office hours.
HOURLY = [1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 10, 11, 12, 12, 11, 9, 7, 5, 4, 3, 2, 1]
CODECS = ["pcmu", "pcma", "g722", "opus", "amrwb", "g729"]
PRICE_PLACES = Decimal("0.00001")


class CallGenerator:
    """Yields dicts of Call field values. Same seed and arguments, same calls."""

    def __init__(
        self,
        *,
        account_ids: Sequence[int],
        weights: Sequence[float] | None = None,
        days: int = 90,
        seed: int = 0,
        now: datetime | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.account_ids = list(account_ids)
        self.weights = list(weights) if weights else [1.0] * len(self.account_ids)
        self.cum_weights = _cumulative(self.weights)
        self.days = days
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self.start = self.now - timedelta(days=days)
        self.cum_hours = _cumulative(HOURLY)
        self.dest_cum = _cumulative([d[2] for d in DESTINATIONS])
        causes = hangup_causes.catalogue()
        self.answered_causes = [c["code"] for c in causes if c["code"] in ANSWERED_CAUSES]
        self.answered_cum = _cumulative(
            [c["weight"] for c in causes if c["code"] in ANSWERED_CAUSES]
        )
        self.missed_causes = [c["code"] for c in causes if c["code"] not in ANSWERED_CAUSES]
        self.missed_cum = _cumulative(
            [c["weight"] for c in causes if c["code"] not in ANSWERED_CAUSES]
        )
        # Each account owns a handful of numbers; a few of them carry most traffic.
        self.own_numbers = {
            acc: [self._number(self.rng.choices(DESTINATIONS[:2])[0]) for _ in range(8)]
            for acc in self.account_ids
        }
        self.own_cum = _cumulative([1 / (rank + 1) ** 1.2 for rank in range(8)])
        # A pool of frequent contacts per platform; everything else is a one-off number.
        self.frequent = [self._number(self._destination()) for _ in range(200)]

    def _destination(self) -> tuple:
        return self.rng.choices(DESTINATIONS, cum_weights=self.dest_cum)[0]

    def _number(self, dest: tuple) -> str:
        prefix, digits = dest[0], dest[1]
        body = str(self.rng.randrange(2, 10)) + "".join(
            str(self.rng.randrange(10)) for _ in range(digits - 1)
        )
        return prefix + body

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _end_time(self) -> datetime:
        rng = self.rng
        day = self.start + timedelta(days=rng.randrange(self.days))
        hour = rng.choices(range(24), cum_weights=self.cum_hours)[0]
        moment = day.replace(hour=hour, minute=0, second=0) + timedelta(
            seconds=rng.randrange(3600), milliseconds=rng.randrange(1000)
        )
        return min(moment, self.now)

    def __iter__(self) -> Iterator[dict]:
        while True:
            call = self.one()
            yield call
            if call["call_direction"] == "outbound" and self.rng.random() < 0.08:
                yield self.child_of(call)

    def one(self, account_id: int | None = None) -> dict:
        rng = self.rng
        account = account_id or rng.choices(self.account_ids, cum_weights=self.cum_weights)[0]
        own = rng.choices(self.own_numbers[account], cum_weights=self.own_cum)[0]
        outbound = rng.random() < 0.6
        if rng.random() < 0.35:
            other = rng.choice(self.frequent)
            rate = INBOUND_RATE if not outbound else _rate_for(other)
        else:
            dest = self._destination()
            other = self._number(dest)
            rate = dest[3] if outbound else INBOUND_RATE
        from_number, to_number = (own, other) if outbound else (other, own)
        return self._timed(account, from_number, to_number, outbound, rate)

    def child_of(self, parent: dict) -> dict:
        """A B-leg: same account, dialled from the parent's destination, ending with it."""
        rng = self.rng
        dest = self._destination()
        child = self._timed(
            parent["account_id"],
            parent["to_number"],
            self._number(dest),
            True,
            dest[3],
            end_time=parent["end_time"],
        )
        child["parent_call_uuid"] = parent["call_uuid"]
        child["hangup_source"] = rng.choice(("customer", "carrier"))
        return child

    def _timed(self, account, from_number, to_number, outbound, rate, end_time=None) -> dict:
        rng = self.rng
        end = end_time or self._end_time()
        answered = rng.random() < 0.7
        ring = rng.uniform(1.5, 25.0)
        if answered:
            # Log-normal talk time: median ~70 s, long tail into hours.
            talk = min(math.exp(rng.gauss(4.25, 1.3)), 4 * 3600.0)
            bill = max(1, int(talk))
            billed = math.ceil(bill / BILLING_INCREMENT) * BILLING_INCREMENT
            answer = end - timedelta(seconds=talk)
            start = answer - timedelta(seconds=ring)
            cause = rng.choices(self.answered_causes, cum_weights=self.answered_cum)[0]
        else:
            talk, bill, billed, answer = 0.0, 0, 0, None
            start = end - timedelta(seconds=ring)
            cause = rng.choices(self.missed_causes, cum_weights=self.missed_cum)[0]
        exact = Decimal(str(round((end - start).total_seconds(), 5)))
        amount = (Decimal(billed) / 60 * rate).quantize(PRICE_PLACES)
        us = to_number.startswith("1") and from_number.startswith("1")
        stir = _stir(rng, us)
        src_codec = rng.choice(CODECS)
        dst_codec = src_codec if rng.random() < 0.8 else rng.choice(CODECS)
        plus = rng.random() < 0.7
        return {
            "call_uuid": self._uuid(),
            "account_id": account,
            "parent_call_uuid": None,
            "from_number": ("+" + from_number) if plus else from_number,
            "to_number": to_number if plus else ("+" + to_number),
            "call_direction": "outbound" if outbound else "inbound",
            "initiation_time": start,
            "answer_time": answer,
            "end_time": end,
            "date_insert": end + timedelta(seconds=rng.randrange(1, 120)),
            "call_duration": int((end - start).total_seconds()),
            "duration": exact,
            "bill_duration": bill,
            "billed_duration": billed,
            "total_amount": amount,
            "total_rate": rate,
            "hangup_cause_code": cause,
            "hangup_source": rng.choices(("customer", "carrier", "zentrunk"), (55, 40, 5))[0],
            "sipcause": "200" if answered else rng.choice(("486", "487", "480", "404", "603")),
            "disconnect_originator": rng.choice(("SRC", "DST")),
            "stir_verification": stir[0],
            "stir_attest": stir[1],
            "stir_identity": "true" if stir[1] else None,
            "stir_orig_id": ("+" + from_number) if stir[1] else None,
            "stir_signing_entity": "cdrapi" if stir[1] else None,
            "stir_verstat": stir[2],
            "codec_src": src_codec,
            "codec_dst": dst_codec,
            "transcoded": src_codec != dst_codec,
            "ip_src": f"198.51.100.{rng.randrange(1, 255)}",
            "ip_dst": f"203.0.113.{rng.randrange(1, 255)}:5060",
            "sipcallid_src": f"{rng.getrandbits(64):016x}@198.51.100.7",
            "sipcallid_dst": f"{rng.getrandbits(64):016x}@203.0.113.9",
            "number_billing": from_number if outbound else to_number,
            "number_external": to_number if outbound else from_number,
            "type": "telecom",
            "user_data": {},
            "version": 2,
        }


def _rate_for(number: str) -> Decimal:
    for prefix, _digits, _share, rate in sorted(DESTINATIONS, key=lambda d: -len(d[0])):
        if number.startswith(prefix):
            return rate
    return DESTINATIONS[0][3]


def _stir(rng: random.Random, us: bool) -> tuple[str, str | None, str | None]:
    if not us:
        return "Not Applicable", None, None
    roll = rng.random()
    if roll < 0.6:
        return "Verified", "A", "TN-Validation-Passed"
    if roll < 0.85:
        return "Not Verified", rng.choice("BC"), "TN-Validation-Passed"
    return "Not Applicable", None, "No-TN-Validation"


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out
