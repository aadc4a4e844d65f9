"""Clients for the failover tests: switches posting calls (FreeSWITCH CDRs one a request,
and batches of records), each keeping every call it was answered 2xx for and posting the
others again after 503s and connection errors, as the shipped switch configs do; and a
reader listing calls. Every request is timed, on loopback only, for a bounded time."""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from calls.ingest import fs_sample

# A switch posts a refused CDR again after this long (FreeSWITCH's `delay`, shortened so
# that the figures are measured to a fraction of a second rather than to 5 s).
RETRY_DELAY = 0.25


@dataclass(frozen=True)
class Answer:
    start: float  # monotonic
    end: float
    status: int | None  # None: the connection failed
    retry_after: str | None
    kind: str  # "freeswitch", "batch", "list"
    records: int = 1


@dataclass
class Load:
    """Threads posting (and reading) until `stop()`; what each was answered."""

    port: int
    write_auth: str
    read_auth: str
    freeswitch_clients: int = 3
    batch_clients: int = 2
    batch_size: int = 25
    # Requests a second per client (0: as fast as answers come).
    freeswitch_rate: float = 0
    batch_rate: float = 0
    reader: bool = False
    answers: list[Answer] = field(default_factory=list)
    acked: Counter = field(default_factory=Counter)  # call_uuid -> 2xx answers naming it
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Load:
        for _ in range(self.freeswitch_clients):
            self._spawn(self._switch, self._freeswitch_post, self.freeswitch_rate)
        for _ in range(self.batch_clients):
            self._spawn(self._switch, self._batch_post, self.batch_rate)
        if self.reader:
            self._spawn(self._read)
        return self

    def stop(self, seconds: float = 60) -> None:
        """Stop sending new calls; a call already refused is posted until it is taken."""
        self._stop.set()
        for thread in self._threads:
            thread.join(seconds)
            assert not thread.is_alive(), "a client still retrying after the deadline"

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    # --- writers -----------------------------------------------------------------------------
    def _switch(self, post, rate: float) -> None:
        interval = 1 / rate if rate else 0
        next_at = time.monotonic()
        deadline = time.monotonic() + 600  # a bound on the whole run
        while not self._stop.is_set() and time.monotonic() < deadline:
            if interval:
                next_at = max(next_at + interval, time.monotonic() - interval)
                time.sleep(max(0.0, next_at - time.monotonic()))
            post()

    def _freeswitch_post(self) -> None:
        call_uuid = str(uuid.uuid4())
        body, content_type = fs_sample.post_body(fs_sample.cdr(call_uuid=call_uuid))
        answer = self._until_taken("/ingest/v1/freeswitch", body, content_type, "freeswitch", 1)
        if answer in (200, 201):
            self._ack([call_uuid])

    def _batch_post(self) -> None:
        records = [_record() for _ in range(self.batch_size)]
        body = json.dumps(records).encode()
        reply = self._until_taken("/ingest/v1/calls", body, "application/json", "batch",
                                  len(records))  # fmt: skip
        if isinstance(reply, dict):
            self._ack([r["call_uuid"] for r in reply["records"]
                       if r["status"] in ("stored", "duplicate")])  # fmt: skip

    def _until_taken(self, path: str, body: bytes, content_type: str, kind: str, records: int):
        """Post until the answer is not a 503 or a failed connection: the status (the
        parsed body for a batch's 200)."""
        deadline = time.monotonic() + 120
        while True:
            status, _, data = self._request(
                "POST", path, body, {"Content-Type": content_type,
                                     "Authorization": self.write_auth}, kind, records,
            )  # fmt: skip
            if status not in (None, 503):
                return json.loads(data) if kind == "batch" and status == 200 else status
            assert time.monotonic() < deadline, f"{kind}: no answer but 503s for 120 s"
            time.sleep(RETRY_DELAY)

    def _ack(self, call_uuids: list[str]) -> None:
        with self._lock:
            self.acked.update(call_uuids)

    # --- reader ------------------------------------------------------------------------------
    def _read(self) -> None:
        deadline = time.monotonic() + 600
        while not self._stop.is_set() and time.monotonic() < deadline:
            self._request("GET", "/core/v2/calls/call_drs?limit=5", None,
                          {"Authorization": self.read_auth}, "list", 0)  # fmt: skip
            time.sleep(0.05)

    def _request(self, method, path, body, headers, kind, records):
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status, retry_after = response.status, response.getheader("Retry-After")
        except (OSError, http.client.HTTPException):
            status, retry_after, data = None, None, b""
        finally:
            conn.close()
        answer = Answer(start, time.monotonic(), status, retry_after, kind, records)
        with self._lock:
            self.answers.append(answer)
        return status, retry_after, data

    # --- what happened -----------------------------------------------------------------------
    def of(self, *kinds: str, since: float = 0, until: float = float("inf")) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers
                    if a.kind in kinds and since <= a.start and a.end <= until]  # fmt: skip


def _record() -> dict:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return {
        "call_uuid": str(uuid.uuid4()), "call_direction": "outbound",
        "from_number": "+14155550100", "to_number": "442071234567",
        "initiation_time": (end - timedelta(seconds=60)).isoformat(),
        "answer_time": (end - timedelta(seconds=50)).isoformat(),
        "end_time": end.isoformat(), "call_duration": 60, "bill_duration": 50,
    }  # fmt: skip


def calls_per_second(answers: list[Answer]) -> float:
    """Calls acknowledged a second, first request to last answer."""
    ok = [a for a in answers if a.status in (200, 201)]
    if not ok:
        return 0.0
    span = max(a.end for a in ok) - min(a.start for a in ok)
    return sum(a.records for a in ok) / span if span else 0.0


def p99(answers: list[Answer]) -> float:
    """The 99th percentile of the answers' durations, in milliseconds."""
    times = sorted(a.end - a.start for a in answers)
    return 1000 * times[min(len(times) - 1, int(0.99 * len(times)))] if times else 0.0


def seconds_without(answers: list[Answer], since: float) -> float:
    """From `since` to the first 2xx answer to a request sent after it."""
    after = [a.end for a in answers if a.start >= since and a.status in (200, 201)]
    return min(after) - since if after else float("inf")


def unanswered_seconds(answers: list[Answer]) -> float:
    """Seconds during which requests were not answered 200: from each failure that
    follows a success to the next success (requests in start order)."""
    total, failing_since = 0.0, None
    for answer in sorted(answers, key=lambda a: a.start):
        if answer.status != 200:
            failing_since = failing_since if failing_since is not None else answer.start
        elif failing_since is not None:
            total += answer.end - failing_since
            failing_since = None
    return total
