"""Exponential backoff with jitter, for reconnecting to the broker and the database."""

from __future__ import annotations

import random


class Backoff:
    """0.5 s, 1 s, 2 s … up to `ceiling`, each drawn between half and all of the step, so
    many consumers restarted together do not reconnect in lockstep."""

    def __init__(self, first: float = 0.5, ceiling: float = 30.0) -> None:
        self.first, self.ceiling = first, ceiling
        self.attempt = 0

    def next(self) -> float:
        step = min(self.ceiling, self.first * 2**self.attempt)
        self.attempt += 1
        return random.uniform(step / 2, step)

    def reset(self) -> None:
        self.attempt = 0
