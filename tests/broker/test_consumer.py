"""consume_calls against the real RabbitMQ: batches stored once, duplicates, poison messages
in the dead-letter queue with their reason, FreeSWITCH documents, the command's options."""

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from calls.broker.consumer import Consumer, Options
from calls.broker.messages import REASON_HEADER
from calls.ingest import fs_sample
from calls.models import Call
from tests.broker import rabbit

pytestmark = pytest.mark.django_db
END = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def call(account=None, **extra) -> dict:
    record = {
        "call_uuid": str(uuid4()),
        "from_number": "+14155550100",
        "to_number": "+442071234567",
        "call_direction": "outbound",
        "end_time": END.isoformat(sep=" "),
        "answer_time": (END - timedelta(seconds=42)).isoformat(sep=" "),
        "call_duration": 50,
        **extra,
    }
    if account is not None:
        record["account"] = account.auth_id
    return record


def consume(amqp_url, queue, fmt="calls", **options) -> "Consumer":
    consumer = Consumer(
        Options(url=amqp_url, queue=queue, fmt=fmt, stop_when_idle=0.5, **options),
        say=lambda _: None,
    )
    consumer.run()
    return consumer


def encoded(records) -> list[bytes]:
    return [json.dumps(r).encode() for r in records]


def test_published_calls_are_stored_in_batches_and_acknowledged(amqp_url, queue, main_account):
    records = [call(main_account) for _ in range(250)]
    rabbit.publish(queue, encoded(records))
    consumer = consume(amqp_url, queue, batch_size=100)
    assert Call.objects.filter(account=main_account).count() == 250
    assert consumer.tally.stored == 250 and consumer.tally.batches == 3
    assert rabbit.depth(queue) == 0  # every message acknowledged
    assert rabbit.depth(f"{queue}.dead") == 0


def test_a_call_delivered_twice_is_stored_once(amqp_url, queue, main_account):
    record = call(main_account)
    rabbit.publish(queue, encoded([record, record, call(main_account)]))
    consumer = consume(amqp_url, queue)
    rabbit.publish(queue, encoded([record]))  # a publisher retrying later
    again = consume(amqp_url, queue)
    assert Call.objects.filter(call_uuid=record["call_uuid"]).count() == 1
    assert (consumer.tally.stored, consumer.tally.duplicates) == (2, 1)
    assert (again.tally.stored, again.tally.duplicates) == (0, 1)


def test_poison_messages_go_to_the_dead_letter_queue_with_their_reason(
    amqp_url, queue, main_account
):
    good = call(main_account)
    bodies = [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        json.dumps(call(main_account, to_number=None)).encode(),
        json.dumps(call(account=None, account_name="nobody")).encode(),
        json.dumps({**call(), "account": "MAXXXXXXXXXXXXXXXXXX"}).encode(),
        json.dumps(good).encode(),
    ]
    rabbit.publish(queue, bodies)
    consumer = consume(amqp_url, queue)
    assert list(Call.objects.values_list("call_uuid", flat=True)) == [
        Call.objects.get(call_uuid=good["call_uuid"]).call_uuid
    ]
    dead = rabbit.take_all(f"{queue}.dead")
    reasons = {body: properties.headers[REASON_HEADER] for properties, body in dead}
    assert reasons[b"{not json"].startswith("the message is not valid JSON")
    assert reasons[b"\xff\xfe"] == "the message is not UTF-8 text"
    assert reasons[b"[1, 2]"] == "a message holds one call: a JSON object"
    assert "to_number" in reasons[bodies[3]]
    assert "no account" in reasons[bodies[4]]
    assert "MAXXXXXXXXXXXXXXXXXX" in reasons[bodies[5]]
    assert all(p.headers["x-cdrapi-queue"] == queue for p, _ in dead)
    assert consumer.tally.dead_lettered == 6 and consumer.tally.stored == 1
    assert rabbit.depth(queue) == 0  # nothing blocks the queue


def test_an_account_option_owns_the_documents_that_name_none(amqp_url, queue, main_account):
    from tests.factories import AccountFactory

    stranger = AccountFactory()
    mine, theirs = call(), call(stranger)
    rabbit.publish(queue, encoded([mine, theirs]))
    consume(amqp_url, queue, account=main_account)
    assert Call.objects.get(call_uuid=mine["call_uuid"]).account_id == main_account.pk
    assert not Call.objects.filter(call_uuid=theirs["call_uuid"]).exists()
    ((properties, _),) = rabbit.take_all(f"{queue}.dead")
    assert "is not this credential's account" in properties.headers[REASON_HEADER]


def test_freeswitch_documents_in_each_encoding(amqp_url, queue, main_account):
    texts = [
        fs_sample.cdr(accountcode=main_account.auth_id),
        fs_sample.cdr(accountcode=main_account.auth_id, old_callflow=True),
        fs_sample.cdr(accountcode=main_account.auth_id, outcome="busy"),
    ]
    rabbit.publish(queue, [t.encode() for t in texts])
    for encoding in ("true", "base64"):
        body, content_type = fs_sample.post_body(
            fs_sample.cdr(accountcode=main_account.auth_id), encoding
        )
        rabbit.publish(queue, [body], content_type=content_type)
    consumer = consume(amqp_url, queue, fmt="freeswitch")
    assert consumer.tally.stored == 5, rabbit.take_all(f"{queue}.dead")
    stored = Call.objects.filter(account=main_account)
    assert stored.count() == 5 and {c.product for c in stored} == {"voice"}
    assert stored.filter(bill_duration=0).count() == 1  # the busy call


def test_the_command_drains_the_queue_and_reports(amqp_url, queue, main_account, capsys):
    rabbit.publish(queue, encoded([call() for _ in range(20)]))
    call_command(
        "consume_calls", "--url", amqp_url, "--queue", queue, "--format", "calls",
        "--account", main_account.auth_id, "--stop-when-idle", "0.5", "--batch-size", "8",
    )  # fmt: skip
    assert "stored 20, duplicates 0, dead-lettered 0 (3 batches, " in capsys.readouterr().out
    assert Call.objects.count() == 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "MAXXXXXXXXXXXXXXXXXX"], "No active account with auth id"),
        (["--batch-size", "0"], "--batch-size is 1 to 10000"),
        (["--max-wait", "0"], "--max-wait is a positive number"),
        (["--url", "http://example.com/"], "--url is not an AMQP URL"),
        (["--max-refused", "-1"], "--max-refused is 0 or more"),
        (["--max-refused", "1"], "--max-refused goes with --stop-when-idle"),
    ],
)
def test_bad_options_are_clear_errors(amqp_url, queue, args, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "consume_calls", "--url", amqp_url, "--queue", queue, "--format", "calls", *args
        )


def test_kamailio_acc_json_records(amqp_url, queue, main_account):
    start = END.timestamp()
    answered = {
        "start_time": f"{start:.3f}", "end_time": f"{start + 62.5:.3f}", "duration": "62.500",
        "call_id": f"{uuid4()}@127.0.0.1", "from_user": "+14155550100",
        "to_user": "442071234567", "sip_code": "200", "sip_reason": "OK", "answered": "true",
        "setup_ts": f"{start:.6f}", "answer_ts": f"{start + 2.5:.6f}", "from_tag": "t1",
        "account": main_account.auth_id,
    }  # fmt: skip
    busy = answered | {
        "call_id": f"{uuid4()}@127.0.0.1", "sip_code": "486", "sip_reason": "Busy Here",
        "answered": "false", "answer_ts": "", "end_time": f"{start:.3f}", "duration": "0",
    }  # fmt: skip
    rabbit.publish(queue, encoded([answered, busy]))
    consumer = consume(amqp_url, queue, fmt="kamailio")
    assert consumer.tally.stored == 2, rabbit.take_all(f"{queue}.dead")
    stored = Call.objects.filter(account=main_account)
    assert {c.product for c in stored} == {"zentrunk"}
    assert sorted(c.bill_duration for c in stored) == [0, 60]


@pytest.mark.postgres
def test_a_call_the_database_refuses_is_dead_lettered_without_the_databases_words(
    amqp_url, queue, main_account, caplog
):
    """The database's error text names the failing row's values and the COPY line: it
    goes to the log, the dead letter's header carries the exception's class alone."""
    from django.db import connection

    secret = "+15550001234"
    with connection.cursor() as cursor:  # a rule the importer does not know (rolled back)
        cursor.execute(
            "ALTER TABLE calls_call ADD CONSTRAINT test_refused CHECK (to_number <> %s)",
            [secret],
        )
    good, refused = call(main_account), call(main_account, to_number=secret)
    rabbit.publish(queue, encoded([good, refused, call(main_account)]))
    with caplog.at_level("ERROR", logger="cdrapi.consumer"):
        consumer = consume(amqp_url, queue)
    assert (consumer.tally.stored, consumer.tally.dead_lettered) == (2, 1)
    ((properties, body),) = rabbit.take_all(f"{queue}.dead")
    assert json.loads(body)["call_uuid"] == refused["call_uuid"]
    reason = properties.headers[REASON_HEADER]
    assert reason == "could not be stored: IntegrityError"  # no row values, no SQL
    assert "Failing row contains" in caplog.text and secret in caplog.text  # for the operator
