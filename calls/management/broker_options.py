"""The options every broker command spells the same way (consume_calls, publish_calls,
replay_dead_letters), declared once."""

from django.core.management.base import CommandParser


def add_broker_url(parser: CommandParser) -> None:
    parser.add_argument(
        "--url", required=True, help="amqp://user:password@host:5672/vhost (AMQP 0-9-1)"
    )


def add_dead_letter_queue(parser: CommandParser) -> None:
    parser.add_argument(
        "--dead-letter-queue", default="", metavar="NAME", help="default: <queue>.dead"
    )
