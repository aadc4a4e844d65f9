"""The real RabbitMQ on 127.0.0.1:5672 for the consumer tests: a private vhost per test
run (so closing "all connections" touches only ours), unique queues, publish and read."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterable

import pika
import pika.exceptions
import pytest

from tests.servers import IN_CI

HOST = os.environ.get("TEST_AMQP_HOST", "127.0.0.1")
VHOST = f"cdrapi-test-{os.getpid()}"
URL = f"amqp://guest:guest@{HOST}:5672/{VHOST}"


def rabbitmqctl(*args: str) -> str:
    binary = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    result = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def make_vhost() -> str:
    """The run's vhost, with guest allowed in; skips (fails under CI) without a broker."""
    try:
        pika.BlockingConnection(pika.URLParameters(f"amqp://guest:guest@{HOST}:5672/%2F")).close()
    except pika.exceptions.AMQPError as exc:
        if IN_CI:
            raise
        pytest.skip(f"RabbitMQ is not running on {HOST}:5672 ({exc!r}); .ci/run starts it")
    rabbitmqctl("add_vhost", VHOST) if VHOST not in rabbitmqctl("list_vhosts") else None
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
    return URL


def drop_vhost() -> None:
    rabbitmqctl("delete_vhost", VHOST)


def new_queue() -> str:
    return f"calls-{uuid.uuid4().hex[:12]}"


def publish(queue: str, bodies: Iterable[bytes], content_type: str | None = None) -> int:
    """Publish persistent messages with confirms (declaring the queue durable first)."""
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    try:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True)
        channel.confirm_delivery()
        properties = pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent, content_type=content_type
        )
        count = 0
        for body in bodies:
            channel.basic_publish("", queue, body, properties)
            count += 1
        return count
    finally:
        connection.close()


def depth(queue: str) -> int:
    """Messages ready in `queue` (0 if it does not exist)."""
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return 0
    finally:
        if connection.is_open:
            connection.close()


def take_all(queue: str) -> list[tuple[pika.BasicProperties, bytes]]:
    """Every message of `queue`, acknowledged (the queue is left empty)."""
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    found = []
    try:
        channel = connection.channel()
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return found
            found.append((properties, body))
    finally:
        connection.close()
