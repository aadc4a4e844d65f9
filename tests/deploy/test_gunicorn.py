"""gunicorn.conf.py: a graceful reload (SIGHUP) replaces every worker while requests flow,
and not one request fails."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from tests.servers import get, gunicorn

# django_db: so that pytest-django creates the test database even when these run alone.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def workers_of(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def wait_for_new_workers(master: int, old: set[int], count: int, seconds: float = 30) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = workers_of(master)
        if len(now) == count and not now & old:
            return now
        time.sleep(0.1)
    raise AssertionError(f"workers {workers_of(master)} still include some of {old}")


def test_a_reload_while_requests_flow_fails_none(served_database):
    with gunicorn(workers=2) as server:
        master = server.process.pid
        before = workers_of(master)
        assert len(before) == 2
        stop = threading.Event()
        answers: list[object] = []

        def client() -> None:
            while not stop.is_set():
                for path in ("/healthz", "/readyz"):  # /readyz asks the database
                    try:
                        answers.append(get(server.port, path).status)
                    except OSError as exc:  # refused or reset: a failed request
                        answers.append(repr(exc))

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            server.process.send_signal(signal.SIGHUP)
            middle = wait_for_new_workers(master, before, 2)
            time.sleep(0.3)
            server.process.send_signal(signal.SIGHUP)  # and again, straight after
            wait_for_new_workers(master, middle, 2)
            time.sleep(0.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    failures = [a for a in answers if a != 200]
    assert len(answers) > 100 and not failures, (len(answers), failures[:5])
