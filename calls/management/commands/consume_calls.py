import logging
import signal
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Account
from calls.broker.consumer import Consumer, Options
from calls.ingest.service import FORMATS
from calls.management.broker_options import add_broker_url, add_dead_letter_queue
from calls.management.refusals import add_max_refused, check_max_refused, exit_if_refused
from calls.vocabulary.choices import PRODUCTS


class Command(BaseCommand):
    help = (
        "Store the calls published to a RabbitMQ queue (one document a message), in batches "
        "acknowledged after commit; poison messages go to a dead-letter queue with the "
        "reason. Reconnects by itself; stops cleanly on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_broker_url(parser)
        parser.add_argument("--queue", required=True, help="the queue to read")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        add_dead_letter_queue(parser)
        parser.add_argument(
            "--account",
            metavar="AUTH_ID",
            help="the queue belongs to this account: a document naming none goes to it, one "
            "naming an account outside its tree is dead-lettered (default: every document "
            "must name its account)",
        )
        parser.add_argument("--product", choices=PRODUCTS, help="every call's product")
        parser.add_argument("--batch-size", type=int, default=1000, metavar="N")
        parser.add_argument(
            "--max-wait", type=float, default=0.5, metavar="SECONDS",
            help="store a partial batch once its first message is this old",
        )  # fmt: skip
        parser.add_argument(
            "--stop-when-idle", type=float, metavar="SECONDS",
            help="stop once the queue has been empty this long (drain and exit)",
        )  # fmt: skip
        parser.add_argument("--progress-every", type=float, default=10.0, metavar="SECONDS")
        add_max_refused(parser)  # with --stop-when-idle: a drain's exit status

    def handle(self, *args, **opts) -> None:
        if opts["batch_size"] < 1 or opts["batch_size"] > 10_000:
            raise CommandError("--batch-size is 1 to 10000.")
        if urlsplit(opts["url"]).scheme not in ("amqp", "amqps"):
            raise CommandError("--url is not an AMQP URL: amqp://user:password@host:5672/vhost.")
        if opts["max_wait"] <= 0:
            raise CommandError("--max-wait is a positive number of seconds.")
        check_max_refused(opts["max_refused"])
        if opts["max_refused"] and opts["stop_when_idle"] is None:
            raise CommandError(
                "--max-refused goes with --stop-when-idle: a consumer that runs until "
                "stopped exits 0 (its dead letters are counted in /metrics)."
            )
        account = None
        if opts["account"]:
            account = Account.objects.filter(auth_id=opts["account"], is_active=True).first()
            if account is None:
                raise CommandError(f"No active account with auth id {opts['account']}.")
        options = Options(
            url=opts["url"],
            queue=opts["queue"],
            fmt=opts["fmt"],
            dead_letter_queue=opts["dead_letter_queue"],
            account=account,
            product=opts["product"],
            batch_size=opts["batch_size"],
            max_wait=opts["max_wait"],
            stop_when_idle=opts["stop_when_idle"],
            progress_every=opts["progress_every"],
        )
        logging.getLogger("pika").setLevel(logging.WARNING)  # a line per socket event below
        quiet = opts["verbosity"] == 0
        consumer = Consumer(options, say=(lambda _: None) if quiet else self.stderr.write)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: consumer.stop())
        tally = consumer.run()
        self.stdout.write(tally.line())
        if opts["stop_when_idle"] is not None:  # a drain: cron reads its exit status
            exit_if_refused(tally.dead_lettered, opts["max_refused"], "dead-lettered")
