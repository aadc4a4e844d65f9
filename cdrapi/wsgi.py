"""WSGI entry point for production servers (gunicorn cdrapi.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from cdrapi.startup import WORKER_BOOT_ERROR, settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdrapi.settings")
# gunicorn's master has checked the settings before starting workers (gunicorn.conf.py);
# this covers a reload (HUP) onto bad settings, and other WSGI servers.
settings_or_exit(WORKER_BOOT_ERROR)
application = get_wsgi_application()
