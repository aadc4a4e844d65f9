import json as jsonlib
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pika.exceptions
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calls.broker.publish import cdr_files, lines, publish
from calls.management.broker_options import add_broker_url


class Command(BaseCommand):
    help = (
        "Publish calls to a RabbitMQ queue for consume_calls, one message each, confirmed by "
        "the broker: FILE of JSON lines (- for stdin; one call or Kamailio record a line), or "
        "a FreeSWITCH *.cdr.json file or a directory of them (one CDR a file)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", metavar="FILE", help="JSON lines, -, a .cdr.json or a directory"
        )
        add_broker_url(parser)
        parser.add_argument("--queue", required=True, help="the queue consume_calls reads")
        parser.add_argument(
            "--remove", action="store_true",
            help="delete each .cdr.json file once the broker has confirmed it",
        )  # fmt: skip
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, file: str, url: str, queue: str, remove: bool, json, **opts) -> None:
        if urlsplit(url).scheme not in ("amqp", "amqps"):
            raise CommandError("--url is not an AMQP URL: amqp://user:password@host:5672/vhost.")
        path = Path(file)
        whole_files = file != "-" and (path.is_dir() or path.name.endswith(".cdr.json"))
        if remove and not whole_files:
            raise CommandError("--remove deletes .cdr.json files; FILE is not one or a directory.")
        if file != "-" and not path.exists():
            raise CommandError(f"No such file or directory: {file}")
        try:
            if whole_files:
                count = publish(url, queue, cdr_files(path), remove=remove)
            elif file == "-":
                count = publish(url, queue, lines(sys.stdin.buffer))
            else:
                with path.open("rb") as stream:
                    count = publish(url, queue, lines(stream))
        except (pika.exceptions.AMQPError, OSError) as exc:
            raise CommandError(f"stopped: {type(exc).__name__}: {exc}") from None
        if json:
            self.stdout.write(jsonlib.dumps({"published": count, "queue": queue}))
        else:
            self.stdout.write(f"published {count} message(s) to {queue}")
