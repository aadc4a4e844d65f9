"""A bad setting stops every entry point at start-up with one line naming it, never a
traceback (docs/configuration.md): manage.py (check, runserver and every command), the
WSGI application, and gunicorn's master before it starts any worker (gunicorn.conf.py
runs `python -m cdrapi.startup`).

The settings raise ImproperlyConfigured for anything that would fail later, or make
every request fail (no ALLOWED_HOSTS with DEBUG off); this turns it into that line.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

# The status of a gunicorn worker that cannot boot: its master then stops, where any other
# status would make it start another worker, which would fail the same way, forever.
WORKER_BOOT_ERROR = 3


def settings_or_exit(status: int = 1) -> None:
    """Load the settings now; on a bad one, print `cdrapi cannot start: <why>` to stderr
    and exit with `status`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdrapi.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018  (reading one setting loads the module)
    except ImproperlyConfigured as exc:
        print(f"cdrapi cannot start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(status) from None


if __name__ == "__main__":
    settings_or_exit()
