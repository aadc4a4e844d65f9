"""Checked credentials remembered for a few seconds, per worker (CREDENTIAL_CACHE_SECONDS).

A list request used to spend two of its four round trips on who is calling (the
credential, then the account tree). Within the cache's lifetime a repeated Authorization
header costs none: the key is the header's SHA-256 (the secret itself is never kept), the
value the account (or token) it authenticated and, once read, the account tree. Only
good credentials are remembered; a bad one is checked, and counted towards the lockout,
every time. The price: a revoked or rotated credential, or a deactivated account, keeps
working on a worker that checked it for up to that many seconds (README, "Performance").
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings

MAX_ENTRIES = 10_000  # a worker forgets everything rather than grow past this
_entries: dict[bytes, tuple[float, Any]] = {}


def _key(kind: str, header: str) -> bytes:
    return hashlib.sha256(f"{kind}\0{header}".encode("utf-8", "surrogateescape")).digest()


def get(kind: str, header: str) -> Any | None:
    """What `header` authenticated as, if it was checked less than the lifetime ago."""
    if settings.CREDENTIAL_CACHE_SECONDS <= 0:
        return None
    found = _entries.get(_key(kind, header))
    if found is None or found[0] <= time.time():
        return None
    return found[1]


def put(kind: str, header: str, value: Any) -> None:
    if settings.CREDENTIAL_CACHE_SECONDS <= 0:
        return
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[_key(kind, header)] = (time.time() + settings.CREDENTIAL_CACHE_SECONDS, value)


def clear() -> None:
    _entries.clear()
