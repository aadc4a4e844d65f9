"""Waiting on an event another process or thread brings about, never on time alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str = "", seconds: float = 60) -> T:
    """Ask `condition` until it answers something true; that answer. The deadline is only
    a guard that turns a hang into a failure naming `what`: no result depends on it."""
    deadline = time.monotonic() + seconds
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.02)
