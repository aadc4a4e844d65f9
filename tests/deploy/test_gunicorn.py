"""gunicorn.conf.py: a graceful reload (SIGHUP) replaces every worker while requests flow,
and not one request fails."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from tests.servers import get, gunicorn
from tests.waiting import wait_until

# django_db: so that pytest-django creates the test database even when these run alone.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def workers_of(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def wait_for_new_workers(master: int, old: set[int], count: int) -> set[int]:
    def new() -> set[int]:
        now = workers_of(master)
        return now if len(now) == count and not now & old else set()

    return wait_until(new, what=f"{count} workers, none of {old}")


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

        def flowing(more: int = 40) -> None:
            """Until `more` answers have come since now (requests flow, not a pause)."""
            target = len(answers) + more
            wait_until(lambda: len(answers) >= target, what=f"{more} more answers")

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            flowing()
            server.process.send_signal(signal.SIGHUP)
            middle = wait_for_new_workers(master, before, 2)
            flowing()
            server.process.send_signal(signal.SIGHUP)  # and again, straight after
            wait_for_new_workers(master, middle, 2)
            flowing()
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    failures = [a for a in answers if a != 200]
    assert len(answers) > 100 and not failures, (len(answers), failures[:5])
