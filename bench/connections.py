"""Persistent connections vs psycopg's pool vs a new connection per request.

Serves the same Plivo list request in-process, sequentially, the way one sync WSGI
worker does, under each setting, and prints requests/s. Needs DATABASE_URL on
PostgreSQL with the demo data (`manage.py demo_setup`).

    DATABASE_URL=postgres://... SECRET_KEY=x .venv/bin/python bench/connections.py
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = {
    "new connection per request (CONN_MAX_AGE=0)": {"DB_CONN_MAX_AGE": "0", "DB_POOL": "0"},
    "persistent connection (CONN_MAX_AGE=600)": {"DB_CONN_MAX_AGE": "600", "DB_POOL": "0"},
    "psycopg pool (DB_POOL=1)": {"DB_POOL": "1"},
}
REQUESTS = 1500

CHILD = r"""
import base64, os, sys, time
sys.path.insert(0, os.environ["ROOT"])
os.environ["DJANGO_SETTINGS_MODULE"] = "cdrapi.settings"
import django; django.setup()
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from accounts.models import Account
from accounts.services import account_rotate_auth_token
from django.db import connections
acc = Account.objects.filter(parent=None).order_by("pk").first()
token = account_rotate_auth_token(account=acc)
connections.close_all()
auth = "Basic " + base64.b64encode(f"{acc.auth_id}:{token}".encode()).decode()
client = Client(HTTP_AUTHORIZATION=auth)
url = f"/v1/Account/{acc.auth_id}/Call/?limit=20"
for _ in range(50):
    assert client.get(url).status_code == 200
n = int(os.environ["N"])
start = time.perf_counter()
for _ in range(n):
    client.get(url)
print(n / (time.perf_counter() - start))
"""


def main() -> None:
    print("| connection handling | requests/s (one sync worker) |")
    print("|---|---|")
    for label, env in MODES.items():
        out = subprocess.run(
            [sys.executable, "-c", CHILD],
            env={
                **os.environ,
                **env,
                "ROOT": str(ROOT),
                "N": str(REQUESTS),
                "ALLOWED_HOSTS": "testserver",
            },
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"| {label} | {float(out.stdout.strip()):.0f} |")


if __name__ == "__main__":
    main()
