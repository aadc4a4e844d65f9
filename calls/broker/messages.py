"""One message, one document: decoding a body, and the dead-letter copy of a poison one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pika

from calls.ingest import freeswitch
from calls.ingest.bodies import parse_json
from calls.writing.record_rules import RecordError

REASON_HEADER = "x-cdrapi-reason"
QUEUE_HEADER = "x-cdrapi-queue"
REJECTED_AT_HEADER = "x-cdrapi-rejected-at"
REPLAYS_HEADER = "x-cdrapi-replays"
MAX_REASON = 1000


def decode(fmt: str, body: bytes, content_type: str | None) -> Any:
    """The document a message carries: a FreeSWITCH CDR as mod_json_cdr writes it (JSON,
    or the form encodings when the message says so in its content type), or one JSON
    object (a Kamailio acc_json record, a Plivo/CarrierX call). RecordError if not."""
    if fmt == "freeswitch":
        return freeswitch.decode(body, content_type or "")
    try:  # orjson (compiled, ~6x json's speed); what it refuses, json reads or names the fault
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = parse_json(body, "the message")
    if not isinstance(document, dict):
        raise RecordError("a message holds one call: a JSON object")
    return document


def dead_letter_properties(
    original: pika.BasicProperties, *, reason: str, queue: str
) -> pika.BasicProperties:
    """The original's properties and headers, plus why and where from (persistent)."""
    headers = dict(original.headers or {})
    headers[REASON_HEADER] = reason[:MAX_REASON]
    headers[QUEUE_HEADER] = queue
    headers[REJECTED_AT_HEADER] = datetime.now(UTC).isoformat(timespec="seconds")
    return pika.BasicProperties(
        content_type=original.content_type,
        content_encoding=original.content_encoding,
        message_id=original.message_id,
        timestamp=original.timestamp,
        headers=headers,
        delivery_mode=pika.DeliveryMode.Persistent,
    )


def replay_properties(dead: pika.BasicProperties) -> pika.BasicProperties:
    """A dead letter's properties as they were before it died, plus how many times it was
    sent back (`x-cdrapi-replays`), so a message that keeps failing can be told apart."""
    headers = dict(dead.headers or {})
    for name in (REASON_HEADER, QUEUE_HEADER, REJECTED_AT_HEADER):
        headers.pop(name, None)
    headers[REPLAYS_HEADER] = int(headers.get(REPLAYS_HEADER) or 0) + 1
    return pika.BasicProperties(
        content_type=dead.content_type,
        content_encoding=dead.content_encoding,
        message_id=dead.message_id,
        timestamp=dead.timestamp,
        headers=headers,
        delivery_mode=pika.DeliveryMode.Persistent,
    )
