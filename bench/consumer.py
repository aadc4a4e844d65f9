"""The broker consumer's speed (issue #16: ≥ 10,000 calls/s): publish a backlog to the real
RabbitMQ, drain it with `consume_calls`' consumer in this process, report calls/s from its
first message to its last acknowledgement.

    .venv/bin/python bench/consumer.py [--calls 100000] [--freeswitch 10000] [--database-url URL]

`consumer_rows()` is what `make bench` calls (Django already set up on the bench database);
the calls it stores belong to an account of its own and are deleted afterwards.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The calls format's target, and where issue 26 began (docs/benchmark.md, 2026-11-23).
GOAL = "; target >= 10,000, issue 26 began at 6,726"
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def broker_missing() -> str | None:
    """Why no RabbitMQ answers at BENCH_AMQP_URL, or None when one does."""
    import pika
    from pika.exceptions import AMQPError

    parameters = pika.URLParameters(AMQP_URL)
    try:
        pika.BlockingConnection(parameters).close()
    except AMQPError:
        return (f"no RabbitMQ answers at {parameters.host}:{parameters.port} (BENCH_AMQP_URL; "
                "Debian: apt-get install rabbitmq-server)")  # fmt: skip
    return None


def consumer_rows(calls: int = 100_000, freeswitch: int = 10_000) -> list[tuple[str, str]]:
    """(label, figure) rows: the consumer's calls/s for `calls`-format records and for
    FreeSWITCH CDRs (~5 KB each), batches of 1,000, against the bench database; one row
    saying why when no broker answers (the rest of the benchmark does not need one)."""
    from accounts.models import Account
    from accounts.services import account_create

    missing = broker_missing()
    if missing:
        return [("consumer", f"skipped: {missing}")]

    name = "consumer bench"
    account = Account.objects.filter(name=name, parent=None).first()
    account = account or account_create(name=name).account
    try:
        rows = []
        for fmt, count in (("calls", calls), ("freeswitch", freeswitch)):
            if count:
                tally, publish_rate = _run(fmt, count, account.auth_id)
                rows.append(
                    (
                        f"consumer, {fmt} format ({count:,} messages, batches of 1,000)",
                        f"{tally.per_second:,.0f} calls/s (published at {publish_rate:,.0f}/s; "
                        f"stored {tally.stored:,}, dead-lettered {tally.dead_lettered:,})"
                        + (GOAL if fmt == "calls" else ""),
                    )
                )
        return rows
    finally:
        _forget(account)


def _run(fmt: str, count: int, auth_id: str):
    import pika

    from calls.broker.consumer import Consumer, Options

    queue = f"bench-{fmt}-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.queue_declare(queue, durable=True)
    started = time.perf_counter()
    for body in _bodies(fmt, count, auth_id):
        channel.basic_publish("", queue, body)
    while channel.queue_declare(queue, passive=True).method.message_count < count:
        connection.sleep(0.05)  # published without confirms: wait until all are queued
    publish_rate = count / (time.perf_counter() - started)
    try:
        options = Options(url=AMQP_URL, queue=queue, fmt=fmt, batch_size=1000,
                          stop_when_idle=1.0, progress_every=3600)  # fmt: skip
        tally = Consumer(options, say=lambda _: None).run()
    finally:
        channel.queue_delete(queue)
        channel.queue_delete(f"{queue}.dead")
        connection.close()
    return tally, publish_rate


def _bodies(fmt: str, count: int, auth_id: str):
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    if fmt == "freeswitch":
        from calls.ingest import fs_sample

        for i in range(count):
            yield fs_sample.cdr(accountcode=auth_id, end=end - timedelta(seconds=i % 3600)).encode()
        return
    for i in range(count):
        stop = end - timedelta(seconds=i % 3600)
        yield json.dumps({
            "call_uuid": str(uuid.uuid4()), "account": auth_id,
            "from_number": f"+1415555{i % 10000:04d}", "to_number": f"+44207{i % 1000000:06d}",
            "call_direction": "outbound" if i % 3 else "inbound",
            "end_time": stop.isoformat(sep=" "), "call_duration": 15 + i % 300,
            "answer_time": (stop - timedelta(seconds=i % 300)).isoformat(sep=" ")
            if i % 4 else None,
        }).encode()  # fmt: skip


def _forget(account) -> None:
    """Delete the calls the run stored (the hourly-count triggers follow)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM calls_call WHERE account_id = %s", [account.pk])


if __name__ == "__main__":
    import argparse

    from bench.run import setup_django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--freeswitch", type=int, default=10_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cdrapi_bench"
        ),
    )
    args = parser.parse_args()
    setup_django(args.database_url)
    for label, figure in consumer_rows(args.calls, args.freeswitch):
        print(f"| {label} | {figure} |")
