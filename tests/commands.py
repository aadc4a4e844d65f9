"""Running the commands that store records in this process, as their process would end."""

from typing import Any

from django.core.management import CommandError, call_command

from calls.management.refusals import REFUSED_EXIT


def call_storing(name: str, *args: str, **options: Any) -> int:
    """call_command for import_calls or consume_calls: the exit status their process would
    have, 0 or REFUSED_EXIT (records refused beyond --max-refused, the summary written);
    any other CommandError is raised as call_command raises it."""
    try:
        call_command(name, *args, **options)
    except CommandError as exc:
        if exc.returncode != REFUSED_EXIT:
            raise
        return exc.returncode
    return 0
