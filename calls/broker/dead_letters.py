"""Moving dead letters back to the queue they died on (`manage.py replay_dead_letters`).

After the cause of a refusal is fixed (an account created or reactivated, a rate added, a
bug fixed), the consumer's dead letters can be read again. Each is taken from the
dead-letter queue unacknowledged, republished to the main queue with publisher confirms,
and acknowledged only once the broker has confirmed the copy: a crash or a refused
publish leaves it in the dead-letter queue, never lost (at worst it is in both, and the
store's one-row-per-call rule makes the second delivery a duplicate). Only the messages
present when the run starts are taken, so a message that dies again while the replay
runs is not replayed twice in one run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pika
import pika.exceptions

from calls.broker.consumer import connect
from calls.broker.messages import (
    QUEUE_HEADER,
    REASON_HEADER,
    REJECTED_AT_HEADER,
    REPLAYS_HEADER,
    replay_properties,
)


class ReplayError(Exception):
    """The replay stopped; the message in hand stays in the dead-letter queue."""


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    rejected_at: str
    queue: str  # the queue it was read from when it died
    replays: int  # times it was sent back before this run
    size: int  # bytes of its body

    @classmethod
    def of(cls, properties: pika.BasicProperties, body: bytes) -> DeadLetter:
        headers = properties.headers or {}
        return cls(
            reason=_text(headers.get(REASON_HEADER)),
            rejected_at=_text(headers.get(REJECTED_AT_HEADER)),
            queue=_text(headers.get(QUEUE_HEADER)),
            replays=int(headers.get(REPLAYS_HEADER) or 0),
            size=len(body),
        )


def replay(
    url: str,
    queue: str,
    *,
    dead_letter_queue: str = "",
    limit: int | None = None,
    dry_run: bool = False,
    on_message: Callable[[DeadLetter], None] | None = None,
) -> list[DeadLetter]:
    """Move up to `limit` dead letters of `queue` back to it (oldest first); with `dry_run`
    only read them (they return to the dead-letter queue, in order, when the connection
    closes). Returns what was moved (or read)."""
    dead_queue = dead_letter_queue or f"{queue}.dead"
    connection = connect(url, f"replay_dead_letters {dead_queue}")
    moved: list[DeadLetter] = []
    try:
        waiting = _ready(connection, dead_queue)
        _ready(connection, queue)  # the main queue must exist: a copy must land somewhere
        channel = connection.channel()
        channel.confirm_delivery()
        for _ in range(waiting if limit is None else min(limit, waiting)):
            method, properties, body = channel.basic_get(dead_queue, auto_ack=False)
            if method is None:  # another replay (or a consumer of the dead queue) took it
                break
            letter = DeadLetter.of(properties, body)
            if not dry_run:
                try:
                    channel.basic_publish(
                        "", queue, body, replay_properties(properties), mandatory=True
                    )
                except (pika.exceptions.NackError, pika.exceptions.UnroutableError) as exc:
                    raise ReplayError(
                        f"the broker refused the copy for {queue} ({type(exc).__name__}) after "
                        f"{len(moved)} moved; the rest are still in {dead_queue}"
                    ) from None
                channel.basic_ack(method.delivery_tag)  # only now: the copy is confirmed
            moved.append(letter)
            if on_message:
                on_message(letter)
    finally:
        if connection.is_open:
            connection.close()  # unacknowledged messages go back to the dead-letter queue
    return moved


def _ready(connection: pika.BlockingConnection, name: str) -> int:
    channel = connection.channel()
    try:
        ready = channel.queue_declare(name, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            raise ReplayError(f"there is no queue {name!r} on this broker") from None
        raise
    channel.close()
    return ready


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
