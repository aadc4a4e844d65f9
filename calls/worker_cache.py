"""What a worker remembers between requests: one bounded cache, used for every such memory.

A worker keeps a few answers it may reuse: a checked credential (calls/access/
credential_cache.py), a compiled page statement (calls/query/statements.py), a filter it
brought up to date and a window's size (calls/counting/remembered.py, planner.py), the
partitions it saw exist (calls/store/loading.py). Each is a WorkerCache: at most
`maxsize` entries, the least recently used forgotten first (not everything at once: a
full cache keeps what is in use), and, with a `lifetime`, an entry is never returned
once that many seconds have passed since it was put.

The lifetime is read at each look-up (a setting such as CREDENTIAL_CACHE_SECONDS, so a
lowered value binds at once; 0 or less: nothing is remembered). Its clock is time.time,
so that tests can move it (time-machine) rather than sleep; an entry stamped after "now"
(the clock was set back) counts as expired, so a clock moved back never stretches the
lifetime. Thread-safe (a lock around each step), though gunicorn's sync workers serve
one request at a time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class WorkerCache(Generic[K, V]):
    def __init__(self, maxsize: int, lifetime: Callable[[], float] | None = None) -> None:
        """`lifetime`: the seconds an entry stays good, read at each use; None: for ever."""
        self.maxsize = maxsize
        self._lifetime = lifetime
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value put under `key`, if it is still good; None otherwise. An unhashable
        key raises TypeError, as a dict's would."""
        lifetime = self._seconds()
        if lifetime is not None and lifetime <= 0:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            stamp, value = found
            if lifetime is not None and not stamp <= time.time() < stamp + lifetime:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        lifetime = self._seconds()
        if lifetime is not None and lifetime <= 0:
            return
        with self._lock:
            self._entries[key] = (time.time(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _seconds(self) -> float | None:
        return None if self._lifetime is None else self._lifetime()
