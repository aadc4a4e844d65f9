"""Reading a RabbitMQ queue into the store, exactly once (docs/broker.md).

Messages are collected into a batch (`batch_size`, or whatever came within `max_wait`
seconds of the batch's first), stored through the ingest service in one transaction, and
acknowledged (one `multiple` ack) only after that commit: a crash before the ack makes the
broker deliver them again, and the service's duplicate rule turns the second delivery into
"duplicate", not a second row. A message that cannot be decoded or whose call is refused
is published to the dead-letter queue with the reason in a header (with publisher
confirms) before the batch is acknowledged, so it neither blocks the queue nor is lost.
The broker or the database going away is waited out with backoff, logged and counted;
the unacknowledged batch stays with the broker (or is retried, for the database).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pika
import pika.exceptions
from django.db import InterfaceError, OperationalError, connection
from prometheus_client import Counter

from accounts.models import Account
from calls.broker.backoff import Backoff
from calls.broker.messages import dead_letter_properties, decode
from calls.ingest.service import Outcome, store_documents
from calls.writing.record_rules import RecordError
from cdrapi import metrics

log = logging.getLogger("cdrapi.consumer")
MESSAGES = Counter(
    "cdrapi_consumer_messages",
    "Messages the broker consumer settled, by outcome",
    ["outcome"],  # stored, duplicate, dead_lettered
)
RECONNECTS = Counter(
    "cdrapi_consumer_reconnects",
    "Times the broker consumer waited for the broker or the database",
    ["cause"],  # broker, database
)
BROKER_ERRORS = (pika.exceptions.AMQPError, OSError)
DATABASE_ERRORS = (OperationalError, InterfaceError)


@dataclass
class Options:
    url: str
    queue: str
    fmt: str
    dead_letter_queue: str = ""  # default: "<queue>.dead"
    account: Account | None = None  # None: each document names its account (trusted)
    product: str | None = None
    batch_size: int = 1000
    max_wait: float = 0.5
    stop_when_idle: float | None = None  # seconds without a message; None: run until stopped
    progress_every: float = 10.0

    def __post_init__(self) -> None:
        self.dead_letter_queue = self.dead_letter_queue or f"{self.queue}.dead"


@dataclass
class Tally:
    stored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    batches: int = 0
    first_at: float | None = None  # monotonic: the first message received
    last_at: float | None = None  # monotonic: the last batch acknowledged

    @property
    def per_second(self) -> float:
        """Messages settled per second, first message to last acknowledgement."""
        if self.first_at is None or self.last_at is None or self.last_at <= self.first_at:
            return 0.0
        return self.settled / (self.last_at - self.first_at)

    @property
    def settled(self) -> int:
        return self.stored + self.duplicates + self.dead_lettered

    def line(self) -> str:
        return (
            f"stored {self.stored}, duplicates {self.duplicates}, "
            f"dead-lettered {self.dead_lettered} ({self.batches} batches, "
            f"{self.per_second:,.0f} messages/s)"
        )


@dataclass
class _Message:
    tag: int
    properties: pika.BasicProperties
    body: bytes


class _Abandon(Exception):
    """Stopping while the database is away: leave the batch to the broker."""


class _Idle(Exception):
    """The queue stayed empty for `stop_when_idle` seconds."""


class Consumer:
    def __init__(self, options: Options, *, say: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.tally = Tally()
        self._say = say or log.info
        self._stopping = False
        self._connection: pika.BlockingConnection | None = None
        self._backoff = Backoff()
        self._reported_at = time.monotonic()
        self._reported = 0

    def stop(self) -> None:
        """Ask the consumer to stop (signal-safe): a batch being stored is finished and
        acknowledged; one being collected is stored if the database answers at once,
        else left unacknowledged for the broker to deliver again."""
        self._stopping = True

    def run(self) -> Tally:
        while not self._stopping:
            try:
                self._session()
            except _Idle:
                break
            except BROKER_ERRORS as exc:
                if self._stopping:
                    break
                delay = self._backoff.next()
                RECONNECTS.labels("broker").inc()
                log.warning("broker: %s; reconnecting in %.1f s", _describe(exc), delay)
                self._pause(delay)
            finally:
                self._close()
        self._progress(force=True)
        return self.tally

    # --- one connection ------------------------------------------------------------------
    def _session(self) -> None:
        o = self.options
        self._connection = connect(o.url, f"consume_calls {o.queue}")
        for name in (o.queue, o.dead_letter_queue):
            self._declare(name)
        channel = self._connection.channel()
        channel.confirm_delivery()  # a dead letter is published for sure before its ack
        channel.basic_qos(prefetch_count=min(65535, 2 * o.batch_size))
        log.info("connected to %s; consuming %s (%s)", _safe(o.url), o.queue, o.fmt)
        self._backoff.reset()
        pending: list[_Message] = []
        first_at = idle_since = time.monotonic()
        for method, properties, body in channel.consume(o.queue, inactivity_timeout=0.05):
            now = time.monotonic()
            if method is not None:
                if not pending:
                    first_at = now
                if self.tally.first_at is None:
                    self.tally.first_at = now
                pending.append(_Message(method.delivery_tag, properties, body))
                idle_since = now
            if self._stopping:
                break
            if pending and (len(pending) >= o.batch_size or now - first_at >= o.max_wait):
                self._settle(channel, pending)
                pending = []
            elif not pending and o.stop_when_idle and now - idle_since >= o.stop_when_idle:
                raise _Idle
            self._progress()
        if pending:
            try:
                self._settle(channel, pending)
            except _Abandon:
                log.warning("stopping: %d messages left unacknowledged", len(pending))

    def _declare(self, name: str) -> None:
        assert self._connection is not None
        declare(self._connection, name)

    def _close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            with contextlib.suppress(*BROKER_ERRORS):
                self._connection.close()  # what is still unacknowledged goes back to the queue
        self._connection = None

    # --- one batch -----------------------------------------------------------------------
    def _settle(self, channel: Any, batch: list[_Message]) -> None:
        o = self.options
        decoded: list[tuple[_Message, Any]] = []
        dead: list[tuple[_Message, str]] = []
        for message in batch:
            try:
                decoded.append(
                    (message, decode(o.fmt, message.body, message.properties.content_type))
                )
            except RecordError as exc:
                dead.append((message, str(exc)))
            except Exception as exc:  # a parser bug must not stop the queue on this message
                log.exception("a message could not be decoded")
                dead.append((message, _unexpected("could not be decoded", exc)))
        outcomes = self._store([document for _, document in decoded]) if decoded else []
        counts = {"stored": 0, "duplicate": 0}
        for (message, _), outcome in zip(decoded, outcomes, strict=True):
            if outcome.status == "rejected":
                dead.append((message, outcome.reason or "rejected"))
            else:
                counts[outcome.status] += 1
        for message, reason in dead:
            properties = dead_letter_properties(message.properties, reason=reason, queue=o.queue)
            channel.basic_publish("", o.dead_letter_queue, message.body, properties, mandatory=True)
        channel.basic_ack(batch[-1].tag, multiple=True)
        self.tally.last_at = time.monotonic()
        self.tally.batches += 1
        self.tally.stored += counts["stored"]
        self.tally.duplicates += counts["duplicate"]
        self.tally.dead_lettered += len(dead)
        MESSAGES.labels("stored").inc(counts["stored"])
        MESSAGES.labels("duplicate").inc(counts["duplicate"])
        MESSAGES.labels("dead_lettered").inc(len(dead))
        if len(decoded) < len(batch):  # the service counted the others
            rejected = metrics.IMPORT_ROWS.labels(f"ingest_{o.fmt}", "rejected")
            rejected.inc(len(batch) - len(decoded))

    def _store(self, documents: list[Any]) -> list[Outcome]:
        """The service's outcomes; the database away is waited out (the batch held), a
        document that breaks the service is isolated so the others still go in."""
        backoff = Backoff()
        while True:
            try:
                try:
                    return self._service(documents)
                except DATABASE_ERRORS:
                    raise
                except Exception:
                    log.exception("a batch failed to store; storing its messages one by one")
                    return [self._one(document) for document in documents]
            except DATABASE_ERRORS as exc:
                connection.close()  # the next attempt opens a fresh one
                if self._stopping:
                    raise _Abandon from exc
                delay = backoff.next()
                RECONNECTS.labels("database").inc()
                log.warning(
                    "database: %s; %d messages held unacknowledged, retrying in %.1f s",
                    _describe(exc), len(documents), delay,
                )  # fmt: skip
                self._pause(delay)

    def _service(self, documents: list[Any]) -> list[Outcome]:
        o = self.options
        return store_documents(o.fmt, documents, account=o.account, product=o.product)  # type: ignore[arg-type]

    def _one(self, document: Any) -> Outcome:
        try:
            return self._service([document])[0]
        except DATABASE_ERRORS:
            raise
        except Exception as exc:
            log.exception("a message could not be stored")
            return Outcome("rejected", None, _unexpected("could not be stored", exc))

    # --- pacing and reporting ------------------------------------------------------------
    def _pause(self, seconds: float) -> None:
        """Sleep, waking early to stop; keeps the broker connection's heartbeats going."""
        deadline = time.monotonic() + seconds
        while not self._stopping and (left := deadline - time.monotonic()) > 0:
            if self._connection is not None and self._connection.is_open:
                self._connection.sleep(min(0.2, left))
            else:
                time.sleep(min(0.2, left))

    def _progress(self, *, force: bool = False) -> None:
        now = time.monotonic()
        elapsed = now - self._reported_at
        if not force and elapsed < self.options.progress_every:
            return
        settled = self.tally.settled
        rate = (settled - self._reported) / elapsed if elapsed > 0 else 0.0
        self._say(f"{self.tally.line()}; last {elapsed:.0f} s: {rate:,.0f} messages/s")
        self._reported_at, self._reported = now, settled


def _unexpected(what: str, exc: BaseException) -> str:
    """A dead letter's reason for an exception nobody expected: its class name only. Its
    message goes to the log (with the traceback), never to the header: a database error's
    text holds the failing row's values and COPY lines, for anyone reading the queue."""
    return f"{what}: {type(exc).__name__}"


def declare(connection: pika.BlockingConnection, name: str) -> int:
    """Use the queue as it is if it exists (whatever its arguments), else create it
    durable: redeclaring with other arguments would be refused by the broker. Returns the
    messages ready in it."""
    channel = connection.channel()
    try:
        ready = channel.queue_declare(name, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code != 404:
            raise
        channel = connection.channel()
        ready = channel.queue_declare(name, durable=True).method.message_count
    channel.close()
    return ready


def connect(url: str, purpose: str) -> pika.BlockingConnection:
    """A connection named after what it does, so an operator can find (or close) it."""
    parameters = pika.URLParameters(url)
    parameters.client_properties = {"connection_name": f"cdrapi {purpose}"}
    return pika.BlockingConnection(parameters)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {text[:200]}"


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
