"""The exit status of the commands that store records (import_calls, consume_calls
--stop-when-idle): a run that refused records must not look like a clean one to cron.

0: every record was stored or was a duplicate (or at most --max-refused were refused).
1: a fatal or usage error reported as `CommandError` (no such file, unknown account,
   --strict stopped at a bad record and stored nothing).
2: argparse refused the command line (an unknown option, a bad choice).
3: the run finished, but more than --max-refused records were refused; the others were
   stored. A code of its own, so a wrapper can tell "look at the refused lines" from
   "the run did not happen" (1, 2).
"""

from __future__ import annotations

import sys

from django.core.management.base import CommandError, CommandParser

REFUSED_EXIT = 3


def add_max_refused(parser: CommandParser) -> None:
    """The --max-refused option, the same for every command that stores records."""
    parser.add_argument(
        "--max-refused",
        type=int,
        default=0,
        metavar="N",
        help=f"exit 0 if at most N records were refused (default 0); more exit {REFUSED_EXIT}",
    )


def check_max_refused(max_refused: int) -> None:
    """A negative limit is a usage error, before anything is stored."""
    if max_refused < 0:
        raise CommandError("--max-refused is 0 or more.", returncode=2)  # a usage error


def exit_if_refused(refused: int, max_refused: int, what: str = "refused") -> None:
    """After the summary line: more than `max_refused` refused records exit REFUSED_EXIT,
    with one clear line on stderr (Django writes a CommandError there and exits with its
    return code; called in-process, the caller gets the CommandError)."""
    if refused > max_refused:
        sys.stdout.flush()  # the summary line first, when both streams go to one file
        records = "record was" if refused == 1 else "records were"
        raise CommandError(
            f"{refused} {records} {what}, more than --max-refused {max_refused}: "
            f"exit status {REFUSED_EXIT}.",
            returncode=REFUSED_EXIT,
        )
