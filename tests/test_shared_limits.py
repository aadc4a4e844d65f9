"""Rate limits shared through Redis: atomic across threads, workers and servers, and still
answering (each worker counting alone) when Redis is down. The gunicorn tests serve the
test database, so they run on PostgreSQL; under CI they must run, not skip."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.core.cache import cache
from django.test import Client

from calls.access import counters
from calls.ingest import fs_sample
from tests.api.conftest import basic
from tests.servers import burst, free_port, get, gunicorn, new_account, redis_server

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PLIVO = "/v1/Account/{}/Call/"


@pytest.fixture
def redis_url(settings):
    """The shared Redis (TEST_REDIS_URL), keys under a prefix of this test's own."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL} (.ci/run starts one)")
    prefix = f"cdrapi-test:{uuid.uuid4()}:"
    settings.REDIS_URL, settings.REDIS_KEY_PREFIX = REDIS_URL, prefix
    counters.reset()
    yield REDIS_URL
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    counters.reset()


# --- in one process -------------------------------------------------------------------------
def test_concurrent_hits_each_get_their_own_count(redis_url):
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: counters.hit("race", 60), range(800)))
    assert sorted(c.hits for c in counts) == list(range(1, 801))  # no increment lost
    assert all(0 < c.reset_in <= 60 for c in counts)


def test_a_window_ends_with_its_expiry_and_a_key_without_one_is_mended(redis_url, settings):
    client = redis.Redis.from_url(redis_url)
    client.set(settings.REDIS_KEY_PREFIX + "stuck", 7)  # no expiry: would never reset
    count = counters.hit("stuck", 5)
    assert count.hits == 8 and 0 < count.reset_in <= 5
    assert 0 < client.pttl(settings.REDIS_KEY_PREFIX + "stuck") <= 5000


@pytest.mark.django_db
def test_the_account_limit_holds_through_redis(redis_url, settings, main_account):
    settings.THROTTLE_PLIVO_ACCOUNT = "3/5s"
    client = Client()
    path = PLIVO.format(main_account.auth_id)
    codes = [client.get(path, **basic(main_account)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    stored = redis.Redis.from_url(redis_url).get(
        f"{settings.REDIS_KEY_PREFIX}throttle:plivo_account:{main_account.auth_id}"
    )
    assert int(stored) == 4


@pytest.mark.django_db
def test_the_lockout_holds_through_redis(redis_url, settings, main_account):
    settings.THROTTLE_FAILED_AUTH = "2/1m"
    guesser = Client(REMOTE_ADDR="203.0.113.70")
    path = PLIVO.format(main_account.auth_id)
    for _ in range(2):
        assert guesser.get(path, **basic(main_account, "x" * 40)).status_code == 401
    cache.clear()  # the worker's own memory plays no part: the count is in Redis
    locked = guesser.get(path, **basic(main_account))
    assert locked.status_code == 429 and 1 <= int(locked["Retry-After"]) <= 60


@pytest.mark.django_db
def test_the_lockout_counts_per_credential_and_per_address_through_redis(
    redis_url, settings, main_account, bearer
):
    _, write = bearer(main_account, scopes=["calls.write"])
    shared = Client(REMOTE_ADDR="203.0.113.71")
    path = PLIVO.format(main_account.auth_id)
    codes = [shared.get(path, **basic(main_account, "x" * 40)).status_code for _ in range(11)]
    assert codes == [401] * 10 + [429]
    cache.clear()  # the worker's own memory plays no part
    body, content_type = fs_sample.post_body(fs_sample.cdr())
    posted = shared.post("/ingest/v1/freeswitch", body, content_type=content_type,
                         HTTP_AUTHORIZATION=f"Bearer {write}")  # fmt: skip
    assert posted.status_code == 201  # another credential from the same address
    assert shared.get(path, **basic(main_account)).status_code == 429
    client = redis.Redis.from_url(redis_url)
    found = client.scan_iter(f"{settings.REDIS_KEY_PREFIX}authfail:*")
    keys = {key.decode(): int(client.get(key)) for key in found}
    prefix = settings.REDIS_KEY_PREFIX + "authfail:203.0.113.71"
    assert keys == {prefix: 10, f"{prefix}|auth_id:{main_account.auth_id}": 10}
    # Many credentials from one address: the address ceiling, shared by every worker.
    settings.THROTTLE_FAILED_AUTH_ADDRESS = "12/1m"
    guesses = [shared.get("/core/v2/calls/call_drs", HTTP_AUTHORIZATION=f"Bearer {uuid.uuid4()}")
               for _ in range(3)]  # fmt: skip
    assert [g.status_code for g in guesses] == [401, 401, 429]
    assert "from this address" in guesses[-1].json()["errors"][0]["message"]


@pytest.mark.django_db
def test_unreachable_redis_falls_back_to_the_workers_counters(settings, main_account, caplog):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.THROTTLE_PLIVO_ACCOUNT = "3/5s"
    counters.reset()
    client = Client()
    path = PLIVO.format(main_account.auth_id)
    try:
        with caplog.at_level(logging.ERROR, logger="cdrapi.ratelimit"):
            codes = [client.get(path, **basic(main_account)).status_code for _ in range(5)]
    finally:
        counters.reset()
    assert codes == [200, 200, 200, 429, 429]  # limited still, in this worker's memory
    lines = [r for r in caplog.records if r.name == "cdrapi.ratelimit"]
    assert len(lines) <= 1 and all("Redis unavailable" in r.getMessage() for r in lines)


# --- real gunicorn ----------------------------------------------------------------------------
def _assert_exactly(answers, allowed: int, window: int) -> None:
    statuses = Counter(a.status for a in answers)
    assert statuses == {200: allowed, 429: len(answers) - allowed}, statuses
    for answer in answers:
        if answer.status == 429:
            assert 1 <= int(answer.retry_after) <= window
            assert set(json.loads(answer.body)) == {"api_id", "error"}  # the face's shape


# The account limit's default count, 300, over a window long enough that 1,000 requests
# land in one on a busy 2-core machine (~9 s here; 5 s would judge two windows). The burst
# is timed anyway: the test refuses to judge one that outlasted its window.
LIMIT, WINDOW = 300, 60
SERVER_ENV = {"THROTTLE_PLIVO_ACCOUNT": f"{LIMIT}/{WINDOW}s", "THROTTLE_ADDRESS": "100000/1m"}


@pytest.mark.postgres
def test_two_workers_answer_exactly_the_limit(redis_url, settings, served_database):
    auth_id, headers = new_account(served_database)
    env = {**SERVER_ENV, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX}
    with gunicorn(workers=2, **env) as server:
        answers, seconds = burst([server.port], PLIVO.format(auth_id), headers,
                                 total=1000)  # fmt: skip
        assert "Traceback" not in server.output
    assert seconds < WINDOW, f"the burst took {seconds:.1f} s, longer than one window"
    _assert_exactly(answers, LIMIT, WINDOW)


@pytest.mark.postgres
def test_two_servers_sharing_redis_answer_exactly_the_limit(redis_url, settings, served_database):
    auth_id, headers = new_account(served_database)
    env = {**SERVER_ENV, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX}
    with gunicorn(workers=1, **env) as one, gunicorn(workers=1, **env) as two:
        answers, seconds = burst([one.port, two.port], PLIVO.format(auth_id), headers,
                                 total=1000)  # fmt: skip
    assert seconds < WINDOW, f"the burst took {seconds:.1f} s, longer than one window"
    _assert_exactly(answers, LIMIT, WINDOW)
    by_server = Counter((i % 2, a.status) for i, a in enumerate(answers))
    assert by_server[(0, 200)] and by_server[(1, 200)]  # both servers served some


@pytest.mark.postgres
def test_redis_on_a_closed_port_still_answers_and_limits_per_worker(served_database):
    auth_id, headers = new_account(served_database)
    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "THROTTLE_PLIVO_ACCOUNT": "10/1m"}
    with gunicorn(workers=2, **env) as server:
        answers, _ = burst([server.port], PLIVO.format(auth_id), headers, total=60)
        output = server.output
    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 429}, statuses  # never a 500
    assert 10 <= statuses[200] <= 20  # each of the two workers counts to 10 on its own
    assert 1 <= output.count("Redis unavailable") <= 2  # once per worker, not per request


@pytest.mark.postgres
def test_redis_stopped_mid_traffic_is_no_500(served_database):
    auth_id, headers = new_account(served_database)
    path = PLIVO.format(auth_id)
    with redis_server() as (url, process):
        env = {"REDIS_URL": url, "THROTTLE_PLIVO_ACCOUNT": "1000/1m"}
        with gunicorn(workers=2, **env) as server:
            before, _ = burst([server.port], path, headers, total=20)
            process.terminate()
            process.wait(10)
            during, _ = burst([server.port], path, headers, total=40)
            assert get(server.port, "/readyz").status == 200
    assert [a.status for a in before] == [200] * 20
    assert [a.status for a in during] == [200] * 40
