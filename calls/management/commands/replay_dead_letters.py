import json as jsonlib
from dataclasses import asdict
from urllib.parse import urlsplit

import pika.exceptions
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calls.broker.dead_letters import ReplayError, replay
from calls.management.broker_options import add_broker_url, add_dead_letter_queue


class Command(BaseCommand):
    help = (
        "Move consume_calls' dead letters (<queue>.dead) back to the queue, oldest first, each "
        "acknowledged only once the broker has confirmed its copy; --dry-run lists them "
        "with their reasons and moves nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_broker_url(parser)
        parser.add_argument("--queue", required=True, help="the queue consume_calls reads")
        add_dead_letter_queue(parser)
        parser.add_argument("--limit", type=int, metavar="N", help="move at most N messages")
        parser.add_argument("--dry-run", action="store_true", help="list them, move nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **opts) -> None:
        if urlsplit(opts["url"]).scheme not in ("amqp", "amqps"):
            raise CommandError("--url is not an AMQP URL: amqp://user:password@host:5672/vhost.")
        if opts["limit"] is not None and opts["limit"] < 1:
            raise CommandError("--limit is a positive number of messages.")
        dry_run, listing = opts["dry_run"], opts["dry_run"] and not opts["json"]

        def show(letter) -> None:
            if listing:
                self.stdout.write(f"{letter.rejected_at or '-'}  {letter.reason or '(no reason)'}")

        try:
            letters = replay(
                opts["url"],
                opts["queue"],
                dead_letter_queue=opts["dead_letter_queue"],
                limit=opts["limit"],
                dry_run=dry_run,
                on_message=show,
            )
        except (ReplayError, pika.exceptions.AMQPError) as exc:
            raise CommandError(f"stopped: {exc}") from None
        if opts["json"]:
            payload = {"dry_run": dry_run, "moved": 0 if dry_run else len(letters),
                       "messages": [asdict(letter) for letter in letters]}  # fmt: skip
            self.stdout.write(jsonlib.dumps(payload))
            return
        dead = opts["dead_letter_queue"] or f"{opts['queue']}.dead"
        if dry_run:
            self.stdout.write(f"{len(letters)} dead letter(s) in {dead}; nothing moved")
        else:
            self.stdout.write(f"moved {len(letters)} message(s) from {dead} to {opts['queue']}")
