"""publish_calls and replay_dead_letters against the real RabbitMQ: what is published is
what consume_calls stores, and a dead letter leaves its queue only once its copy is
confirmed."""

import base64
import io
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pika
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.services import account_deactivate, account_reactivate
from calls.broker.consumer import Consumer, Options
from calls.broker.messages import REASON_HEADER, REPLAYS_HEADER
from calls.ingest import fs_sample
from calls.models import Call
from tests.broker import rabbit

pytestmark = pytest.mark.django_db
END = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def call(account) -> dict:
    return {
        "call_uuid": str(uuid4()), "account": account.auth_id, "call_direction": "outbound",
        "from_number": "+14155550100", "to_number": "+442071234567",
        "end_time": END.isoformat(sep=" "), "call_duration": 50,
        "answer_time": (END - timedelta(seconds=42)).isoformat(sep=" "),
    }  # fmt: skip


def consume(amqp_url, queue, fmt="calls", **options) -> Consumer:
    consumer = Consumer(
        Options(url=amqp_url, queue=queue, fmt=fmt, stop_when_idle=0.5, **options),
        say=lambda _: None,
    )
    consumer.run()
    return consumer


def command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- publish_calls ------------------------------------------------------------------------------
def test_json_lines_are_published_one_call_a_message(amqp_url, queue, main_account, tmp_path):
    records = [call(main_account) for _ in range(3)]
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records[:2]) + "\n\n" + json.dumps(records[2]))
    out = command("publish_calls", str(path), "--url", amqp_url, "--queue", queue)
    assert out == f"published 3 message(s) to {queue}\n"
    assert rabbit.depth(queue) == 3
    assert consume(amqp_url, queue).tally.stored == 3
    assert set(Call.objects.values_list("call_uuid", flat=True)) == {
        Call.objects.get(call_uuid=r["call_uuid"]).call_uuid for r in records
    }


def test_freeswitch_files_are_published_whole_and_removed_once_confirmed(
    amqp_url, queue, main_account, tmp_path
):
    plain = fs_sample.cdr(accountcode=main_account.auth_id)
    encoded = fs_sample.cdr(accountcode=main_account.auth_id, outcome="busy")
    (tmp_path / "rotate").mkdir()
    (tmp_path / "a_1.cdr.json").write_text(plain)
    (tmp_path / "rotate" / "a_2.cdr.json").write_bytes(base64.b64encode(encoded.encode()))
    (tmp_path / "notes.txt").write_text("not a CDR")
    out = command("publish_calls", str(tmp_path), "--url", amqp_url, "--queue", queue,
                  "--remove", "--json")  # fmt: skip
    assert json.loads(out) == {"published": 2, "queue": queue}
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["notes.txt"]
    consumer = consume(amqp_url, queue, fmt="freeswitch")
    assert consumer.tally.stored == 2, rabbit.take_all(f"{queue}.dead")
    assert Call.objects.filter(account=main_account, bill_duration=0).count() == 1  # busy


def test_publish_calls_refuses_what_it_cannot_send(amqp_url, queue, tmp_path):
    jsonl = tmp_path / "calls.jsonl"
    jsonl.write_text("{}\n")
    for args, message in [
        ([str(tmp_path / "missing.jsonl")], "No such file"),
        ([str(jsonl), "--remove"], "--remove deletes .cdr.json files"),
        ([str(jsonl), "--url", "http://x/"], "not an AMQP URL"),
    ]:
        with pytest.raises(CommandError, match=message):
            command("publish_calls", *args[:1], "--url", amqp_url, "--queue", queue, *args[1:])


# --- replay_dead_letters -------------------------------------------------------------------------
def test_dead_letters_go_back_once_the_cause_is_fixed(amqp_url, queue, main_account):
    account_deactivate(account=main_account)
    records = [call(main_account) for _ in range(3)]
    rabbit.publish(queue, [json.dumps(r).encode() for r in records])
    assert consume(amqp_url, queue).tally.dead_lettered == 3
    base = ["replay_dead_letters", "--url", amqp_url, "--queue", queue]

    listed = json.loads(command(*base, "--dry-run", "--json"))
    assert listed["dry_run"] is True and listed["moved"] == 0
    assert [m["reason"] for m in listed["messages"]] == [
        f"no active account has account {main_account.auth_id}"
    ] * 3
    assert "no active account has account" in command(*base, "--dry-run")
    assert (rabbit.depth(f"{queue}.dead"), rabbit.depth(queue)) == (3, 0)  # nothing moved

    account_reactivate(account=main_account)
    assert command(*base, "--limit", "2") == f"moved 2 message(s) from {queue}.dead to {queue}\n"
    assert (rabbit.depth(f"{queue}.dead"), rabbit.depth(queue)) == (1, 2)
    assert json.loads(command(*base, "--json"))["moved"] == 1
    assert (rabbit.depth(f"{queue}.dead"), rabbit.depth(queue)) == (0, 3)
    assert consume(amqp_url, queue).tally.stored == 3
    assert Call.objects.filter(account=main_account).count() == 3


def _dead_letters(queue: str, count: int, **headers) -> list[bytes]:
    """Dead letters as the consumer leaves them, published straight to `<queue>.dead`."""
    bodies = [json.dumps({"n": n}).encode() for n in range(count)]
    connection = pika.BlockingConnection(pika.URLParameters(rabbit.URL))
    try:
        channel = connection.channel()
        channel.queue_declare(f"{queue}.dead", durable=True)
        channel.confirm_delivery()
        for n, body in enumerate(bodies):
            properties = pika.BasicProperties(
                content_type="application/json", message_id=f"m{n}", delivery_mode=2,
                headers={REASON_HEADER: "refused", "x-cdrapi-queue": queue,
                         "x-cdrapi-rejected-at": "2026-11-20T12:00:00+00:00", **headers},
            )  # fmt: skip
            channel.basic_publish("", f"{queue}.dead", body, properties)
    finally:
        connection.close()
    return bodies


def test_a_replayed_message_is_the_original_with_a_replay_count(amqp_url, queue):
    rabbit.publish(queue, [])  # the main queue, as consume_calls declares it
    (body,) = _dead_letters(queue, 1, **{"x-switch": "fs1", REPLAYS_HEADER: 1})
    command("replay_dead_letters", "--url", amqp_url, "--queue", queue)
    ((properties, replayed),) = rabbit.take_all(queue)
    assert replayed == body and properties.message_id == "m0"
    assert properties.content_type == "application/json" and properties.delivery_mode == 2
    assert properties.headers == {"x-switch": "fs1", REPLAYS_HEADER: 2}


def test_a_dead_letter_is_acknowledged_only_once_its_copy_is_confirmed(amqp_url, queue):
    # The main queue takes one more message, then the broker refuses (nacks) each publish.
    connection = pika.BlockingConnection(pika.URLParameters(rabbit.URL))
    connection.channel().queue_declare(
        queue, durable=True, arguments={"x-max-length": 1, "x-overflow": "reject-publish"}
    )
    connection.close()
    bodies = _dead_letters(queue, 3)
    with pytest.raises(CommandError, match=r"refused the copy .* after 1 moved"):
        command("replay_dead_letters", "--url", amqp_url, "--queue", queue)
    assert [body for _, body in rabbit.take_all(queue)] == bodies[:1]
    assert [body for _, body in rabbit.take_all(f"{queue}.dead")] == bodies[1:]  # kept, in order


def test_replay_names_a_missing_queue(amqp_url, queue):
    with pytest.raises(CommandError, match=f"there is no queue '{queue}.dead'"):
        command("replay_dead_letters", "--url", amqp_url, "--queue", queue)
