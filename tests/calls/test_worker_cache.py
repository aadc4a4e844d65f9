"""The one cache a worker keeps its memories in (calls/worker_cache.py): bounded by
count, least recently used forgotten first, and never past its lifetime."""

from datetime import UTC, datetime

import pytest
import time_machine

from calls.worker_cache import WorkerCache


def test_a_full_cache_forgets_the_least_recently_used_entry_only():
    cache = WorkerCache(3)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") == "A"  # used: now the most recent
    cache.put("d", "D")
    assert (cache.get("b"), len(cache)) == (None, 3)
    assert [cache.get(k) for k in "acd"] == ["A", "C", "D"]


def test_an_entry_is_good_for_exactly_its_lifetime():
    seconds = [5.0]
    cache = WorkerCache(10, lifetime=lambda: seconds[0])
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False) as clock:
        cache.put("k", 1)
        clock.shift(4.999)
        assert cache.get("k") == 1
        clock.shift(0.001)
        assert cache.get("k") is None  # five seconds after it was put: gone
        cache.put("k", 2)
        seconds[0] = 1  # a lowered lifetime binds entries already kept
        clock.shift(1)
        assert cache.get("k") is None


def test_a_clock_set_back_never_stretches_the_lifetime():
    cache = WorkerCache(10, lifetime=lambda: 5)
    with time_machine.travel(datetime(2026, 1, 1, 12, tzinfo=UTC), tick=False) as clock:
        cache.put("k", 1)
        clock.move_to(datetime(2026, 1, 1, 11, tzinfo=UTC))
        assert cache.get("k") is None


@pytest.mark.parametrize("seconds", [0, -1])
def test_no_lifetime_left_means_nothing_is_remembered(seconds):
    cache = WorkerCache(10, lifetime=lambda: seconds)
    cache.put("k", 1)
    assert (cache.get("k"), len(cache)) == (None, 0)


def test_without_a_lifetime_an_entry_stays_until_crowded_out():
    cache = WorkerCache(2)
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False) as clock:
        cache.put("k", 0)  # a falsy value is still a value
        clock.shift(10**6)
        assert cache.get("k") == 0


def test_an_unhashable_key_raises_like_a_dicts():
    with pytest.raises(TypeError):
        WorkerCache(2).get(["a list"])
