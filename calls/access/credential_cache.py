"""Checked credentials remembered for a few seconds, per worker (CREDENTIAL_CACHE_SECONDS).

A list request used to spend two of its four round trips on who is calling (the
credential, then the account tree). Within the cache's lifetime a repeated Authorization
header costs none: the key is the header's SHA-256 (the secret itself is never kept), the
value the account (or token) it authenticated and, once read, the account tree. Only
good credentials are remembered; a bad one is checked, and counted towards the lockout,
every time. The price: a revoked or rotated credential, or a deactivated account, keeps
working on a worker that checked it for up to that many seconds (docs/performance.md).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings

from calls.worker_cache import WorkerCache

MAX_ENTRIES = 10_000  # the least recently used credentials are forgotten beyond this
_remembered: WorkerCache[bytes, Any] = WorkerCache(
    MAX_ENTRIES, lifetime=lambda: settings.CREDENTIAL_CACHE_SECONDS
)


def _key(kind: str, header: str) -> bytes:
    # surrogatepass: any str has its own bytes, even a lone surrogate (surrogateescape
    # refused "\ud800", a 500 whenever the cache was on; the verifier answers it 401).
    return hashlib.sha256(f"{kind}\0{header}".encode("utf-8", "surrogatepass")).digest()


def get(kind: str, header: str) -> Any | None:
    """What `header` authenticated as, if it was checked less than the lifetime ago."""
    return _remembered.get(_key(kind, header))


def put(kind: str, header: str, value: Any) -> None:
    _remembered.put(_key(kind, header), value)


def clear() -> None:
    _remembered.clear()
