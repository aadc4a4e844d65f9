"""Publishing calls to the consumer's queue (`manage.py publish_calls`): one message a
call, persistent, each confirmed by the broker before the next (and before a file is
removed), in the shapes consume_calls reads (docs/broker.md, "Publishing")."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pika

from calls.broker.consumer import connect, declare
from calls.bulk.readers import cdr_file_paths


@dataclass(frozen=True)
class Message:
    body: bytes
    content_type: str | None  # None: a FreeSWITCH file, whose text tells its encoding
    path: Path | None = None  # the file it came from, when it is a whole file


def lines(stream: Iterable[bytes]) -> Iterator[Message]:
    """One message per non-blank line of JSON lines (a call, a Kamailio record, or any
    JSON object consume_calls reads); the consumer judges each, so a bad line becomes a
    dead letter with its reason rather than stopping the others."""
    for line in stream:
        body = line.strip()
        if body:
            yield Message(body, "application/json")


def cdr_files(path: Path) -> Iterator[Message]:
    """One message per FreeSWITCH `*.cdr.json` file (mod_json_cdr's log-dir or err-log-dir,
    sub-directories included, in name order), its bytes as written: plain, URL-encoded or
    base64, which the consumer tells apart as import_calls does."""
    for file in cdr_file_paths(path):
        yield Message(file.read_bytes(), None, file)


def publish(url: str, queue: str, messages: Iterable[Message], *, remove: bool = False) -> int:
    """Publish every message to `queue` (created durable if missing); with `remove`, delete
    each file once the broker has confirmed its message. Returns how many were published."""
    connection = connect(url, f"publish_calls {queue}")
    count = 0
    try:
        declare(connection, queue)
        channel = connection.channel()
        channel.confirm_delivery()  # basic_publish returns once the broker has the message
        for message in messages:
            properties = pika.BasicProperties(
                content_type=message.content_type, delivery_mode=pika.DeliveryMode.Persistent
            )
            channel.basic_publish("", queue, message.body, properties, mandatory=True)
            count += 1
            if remove and message.path is not None:
                message.path.unlink()
    finally:
        if connection.is_open:
            connection.close()
    return count
