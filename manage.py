#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdrapi.settings")
    # Every command but the development servers (they serve the API) runs with the
    # command statement timeout (COMMAND_STATEMENT_TIMEOUT_MS, see cdrapi/settings.py).
    if sys.argv[1:2] not in (["runserver"], ["testserver"]):
        os.environ.setdefault("CDRAPI_COMMAND", "1")
    # A bad setting: one line saying which, not Django's "Unknown command" and a traceback.
    from cdrapi.startup import settings_or_exit

    settings_or_exit()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
