"""Fixed-window counters for the rate limits and the failed-authentication lockout.

A window opens with its first event and lasts `window` seconds; every event in it is
counted (refused ones too: they cannot stretch the window, whose end is fixed when it
opens). With `REDIS_URL` the counters are shared by every worker and host: one Lua script
increments and reads the expiry in a single atomic round trip. Without it, or while Redis
does not answer, each worker counts in its own memory (Django's default cache, under a
lock), and the outage is logged once a minute. A request is never refused or failed
because Redis is down.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from redis.backoff import NoBackoff
from redis.retry import Retry

from cdrapi import metrics
from cdrapi.outage import Reporter

# After a failure, a worker leaves Redis alone this long: a host that does not answer
# must not cost every request a connect timeout.
RETRY_SECONDS = 5

# KEYS[1] the counter, ARGV[1] the window in ms -> {count, ms until the window ends}.
# The expiry is set when the window opens, and mended if a key has lost it.
_HIT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""

_report = Reporter("cdrapi.ratelimit")
_lock = threading.Lock()
_clients: dict[str, tuple[redis.Redis, object]] = {}
_down_until = 0.0


@dataclass(frozen=True)
class Count:
    hits: int  # events counted in the current window
    reset_in: float  # seconds until it ends (0 when no window is open)


def hit(key: str, window: int) -> Count:
    """Count one event under `key` in its `window`-second window."""
    shared = _shared()
    if shared is not None:
        client, script = shared
        try:
            hits, ttl_ms = script(keys=[_key(key)], args=[window * 1000], client=client)
            return Count(int(hits), int(ttl_ms) / 1000)
        except redis.RedisError as exc:
            _fall_back(exc)
    return _local_hit(key, window)


def peek(key: str) -> Count:
    """The current window's count under `key`, without counting."""
    return peek_many([key])[0]


def peek_many(keys: list[str]) -> list[Count]:
    """The current window's count under each key, in one round trip to Redis."""
    shared = _shared()
    if shared is not None:
        client, _ = shared
        try:
            with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.get(_key(key)).pttl(_key(key))
                values = pipe.execute()
            pairs = zip(values[::2], values[1::2], strict=True)
            return [Count(int(hits or 0), max(0, int(ttl_ms)) / 1000) for hits, ttl_ms in pairs]
        except redis.RedisError as exc:
            _fall_back(exc)
    return [_local_peek(key) for key in keys]


def reset() -> None:
    """Forget that Redis failed (tests; a worker otherwise retries on its own)."""
    global _down_until
    _down_until = 0.0


def _key(key: str) -> str:
    return settings.REDIS_KEY_PREFIX + key


def _shared() -> tuple[redis.Redis, object] | None:
    url = settings.REDIS_URL
    if not url or time.monotonic() < _down_until:
        return None
    if url not in _clients:
        timeout = settings.REDIS_TIMEOUT_MS / 1000
        client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # failing over beats waiting
        )
        _clients[url] = (client, client.register_script(_HIT))
    return _clients[url]


def _fall_back(exc: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + RETRY_SECONDS
    metrics.LIMITER_FALLBACKS.inc()
    _report("Redis unavailable, rate limits count per worker", exc)


# --- each worker on its own -----------------------------------------------------------------
def _local_hit(key: str, window: int) -> Count:
    now = time.time()
    with _lock:
        hits, ends = cache.get(key) or (0, 0.0)
        if ends <= now:
            hits, ends = 0, now + window
        hits += 1
        cache.set(key, (hits, ends), timeout=math.ceil(ends - now))
    return Count(hits, ends - now)


def _local_peek(key: str) -> Count:
    now = time.time()
    hits, ends = cache.get(key) or (0, 0.0)
    return Count(hits, ends - now) if ends > now else Count(0, 0.0)
