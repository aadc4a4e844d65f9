"""The rate limiter's cost per request: one counter hit, by how it is kept.

    .venv/bin/python bench/limiter.py [--redis-url redis://127.0.0.1:6379/0] [--n 20000]

Compares this project's fixed window (one Lua script: INCR, PTTL, PEXPIRE once) with
Django's Redis cache (add then incr: two round trips and no expiry to read back), an
exact sliding log in Redis (a sorted set per key, one Lua script), and the in-process
counter used without Redis. Prints microseconds per hit, median of 5 runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SLIDING_LOG = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
end
return n
"""


def per_hit(fn, n: int) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cdrapi.settings",
        DEBUG="1",
        REDIS_URL=args.redis_url,
        REDIS_KEY_PREFIX=f"bench:{uuid.uuid4()}:",
    )
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.cache.backends.redis import RedisCache

    from calls.access import counters

    client = redis.Redis.from_url(args.redis_url)
    prefix = settings.REDIS_KEY_PREFIX
    django_cache = RedisCache(args.redis_url, {"KEY_PREFIX": prefix})
    sliding = client.register_script(SLIDING_LOG)

    def django_incr(i):
        key = f"dj:{i % 100}"
        if not django_cache.add(key, 1, 5):
            try:
                django_cache.incr(key)  # a separate EXISTS then INCR: three round trips
            except ValueError:  # expired between add and incr
                django_cache.add(key, 1, 5)

    def sliding_log(i):
        now = int(time.time() * 1000)
        sliding(keys=[f"{prefix}zs:{i % 100}"], args=[now, 5000, 10**9, f"{now}:{i}"])

    def fixed_window(i):
        counters.hit(f"fw:{i % 100}", 5)

    def lockout_check(i):
        counters.peek(f"fw:{i % 100}")

    results = {
        "fixed window, Lua (this project)": per_hit(fixed_window, args.n),
        "Django Redis cache, add + incr": per_hit(django_incr, args.n),
        "sliding log, sorted set + Lua": per_hit(sliding_log, args.n),
        "lockout check (GET + PTTL pipeline)": per_hit(lockout_check, args.n),
    }
    settings.REDIS_URL = ""
    results["in-process (no REDIS_URL)"] = per_hit(fixed_window, args.n)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    parser_name = type(client.connection_pool.get_connection()._parser).__name__
    print(f"redis-py {redis.__version__}, parser {parser_name}, {args.n} hits x 5 runs")
    print("| counter | µs per hit |\n| --- | --- |")
    for name, micros in results.items():
        print(f"| {name} | {micros:.0f} |")


if __name__ == "__main__":
    main()
