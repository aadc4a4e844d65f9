import csv
import io
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calls.rating.rate_files import COLUMNS, rates_import, read_rates

MAX_SHOWN = 50


class Command(BaseCommand):
    help = (
        f"Load rates from a CSV file (or - for stdin) with the columns {', '.join(COLUMNS)}. "
        "Lines upsert by (account, direction, prefix); --replace makes each table the file "
        "names exactly its lines. Any bad line: every one is reported and nothing changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path, or - for standard input")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the rates of each table the file names (an account's, or the "
            "default) that the file does not list",
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file only")

    def handle(self, *args, file: str, replace: bool, dry_run: bool, **opts) -> None:
        if file == "-":
            stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            stream = path.open(encoding="utf-8-sig", newline="")
        try:
            parsed = read_rates(stream)
        except UnicodeDecodeError:
            raise CommandError("The file is not UTF-8 text.") from None
        except csv.Error as exc:
            raise CommandError(f"The file is not CSV: {exc}") from None
        finally:
            stream.close()
        if parsed.errors:
            for line, reason in parsed.errors[:MAX_SHOWN]:
                self.stderr.write(f"line {line}: {reason}")
            more = len(parsed.errors) - MAX_SHOWN
            raise CommandError(
                f"{len(parsed.errors)} bad line(s)"
                + (f" ({more} not shown)" if more > 0 else "")
                + "; no rate was changed."
            )
        if dry_run:
            self.stdout.write(f"{len(parsed.lines)} rate(s), all good (dry run: nothing changed)")
            return
        summary = rates_import(lines=parsed.lines, replace=replace)
        self.stdout.write(summary.line())
