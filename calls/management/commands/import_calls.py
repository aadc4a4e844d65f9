import io
import itertools
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Account
from calls.bulk.imports import ImportSummary, StrictImportError, call_import
from calls.bulk.progress import progress_bar
from calls.bulk.readers import read_csv, read_freeswitch_dir, read_jsonl, sniff_format
from calls.bulk.replay import replay
from calls.management.refusals import add_max_refused, check_max_refused, exit_if_refused
from calls.vocabulary.choices import PRODUCTS


class Command(BaseCommand):
    help = (
        "Import CDRs from a JSONL or CSV file (or - for stdin) whose keys are Plivo call "
        "fields or CarrierX CDR fields, as Voice or SIP-trunking (Zentrunk) calls. Bad records "
        "are reported and skipped; re-importing stores nothing twice. --format freeswitch "
        "replays a directory of mod_json_cdr <uuid>.cdr.json files, --format kamailio a "
        "file of acc_json lines (docs/ingest.md, docs/kamailio.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="path, or - for standard input; a directory for --format freeswitch"
        )
        parser.add_argument("--account", metavar="AUTH_ID", help="owner of every record")
        parser.add_argument(
            "--format",
            choices=["jsonl", "csv", "freeswitch", "kamailio"],
            help="default: by extension (jsonl or csv)",
        )
        parser.add_argument(
            "--product",
            choices=PRODUCTS,
            help="every record's product, over its own product key (default: that key, "
            "else zentrunk; voice for freeswitch)",
        )
        parser.add_argument("--strict", action="store_true", help="abort on the first bad record")
        parser.add_argument("--batch-size", type=int, default=5000, metavar="B")
        add_max_refused(parser)

    def handle(
        self, *args, file, account, format, product, strict, batch_size, max_refused, verbosity,
        **opts,
    ) -> None:  # fmt: skip
        check_max_refused(max_refused)
        owner = None
        if account:
            owner = Account.objects.filter(auth_id=account).first()
            if owner is None:
                raise CommandError(f"No account with auth id {account}.")
        if format == "freeswitch":
            summary = self.replay_freeswitch(file, owner, product, strict, batch_size, verbosity)
        else:
            summary = self.import_file(file, format, owner, product, strict, batch_size, verbosity)
        exit_if_refused(summary.rejected, max_refused, "rejected")

    def import_file(
        self, file, format, owner, product, strict, batch_size, verbosity
    ) -> ImportSummary:
        if file == "-":
            stream = io.TextIOWrapper(
                sys.stdin.buffer, encoding="utf-8", errors="surrogateescape", newline=""
            )
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            stream = path.open(encoding="utf-8", errors="surrogateescape", newline="")
        try:
            first = stream.readline()
            fmt = format or sniff_format(file, first.lstrip()[:1])
            lines = itertools.chain([first], stream)
            records = read_csv(lines) if fmt == "csv" else read_jsonl(lines)
            started = time.perf_counter()
            if fmt == "kamailio":
                documents = ((f"line {n}", doc) for n, doc in records)
                return self.replay(
                    "kamailio", documents, owner, product, strict, batch_size, verbosity
                )
            with progress_bar(total=None, verbosity=verbosity, desc="import") as progress:
                summary = call_import(
                    records=records,
                    account=owner,
                    product=product,
                    strict=strict,
                    batch_size=batch_size,
                    progress=progress,
                    on_reject=lambda line, reason: self.stderr.write(
                        f"line {line}: rejected: {reason}"
                    ),
                )
        except StrictImportError as exc:
            raise CommandError(f"{exc}; nothing was imported (--strict).") from None
        except UnicodeDecodeError:
            raise CommandError("The file is not UTF-8 text.") from None
        finally:
            stream.close()
        self.report(summary, started)
        return summary

    def report(self, summary: ImportSummary, started: float) -> None:
        """The summary line on stdout (before any non-zero exit, so cron mails show it)."""
        elapsed = time.perf_counter() - started
        rate = summary.read / elapsed if elapsed else 0
        self.stdout.write(f"{summary.line()} ({elapsed:.1f} s, {rate:,.0f} rows/s)")

    def replay_freeswitch(
        self, file, owner, product, strict, batch_size, verbosity
    ) -> ImportSummary:
        path = Path(file)
        if not path.exists():
            raise CommandError(f"No such directory or file: {file}")
        documents = read_freeswitch_dir(path)
        return self.replay("freeswitch", documents, owner, product, strict, batch_size, verbosity)

    def replay(
        self, fmt, documents, owner, product, strict, batch_size, verbosity
    ) -> ImportSummary:
        """Switch CDRs through the live ingestion service (calls/bulk/replay.py)."""
        started = time.perf_counter()
        try:
            with progress_bar(total=None, verbosity=verbosity, desc="replay") as progress:
                summary = replay(
                    fmt,
                    documents,
                    account=owner,
                    product=product,
                    strict=strict,
                    batch_size=batch_size,
                    progress=progress,
                    on_reject=lambda label, reason: self.stderr.write(
                        f"{label}: rejected: {reason}"
                    ),
                )
        except StrictImportError as exc:
            raise CommandError(f"{exc.reason}; nothing was imported (--strict).") from None
        self.report(summary, started)
        return summary
