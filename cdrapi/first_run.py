"""`make run`'s first step: leave the checkout its local settings file, `.env`.

    .venv/bin/python -m cdrapi.first_run [HOST PORT]

Written once, with DEBUG=1, a new random SECRET_KEY and the DATABASE_URL of this run
(SQLite in the checkout unless the environment names another); never overwritten. The
settings load it (cdrapi/env.py), so that `manage.py createsuperuser`, `create_token`,
`import_calls`... typed in any shell later reach the same database as the demo server.
"""

from __future__ import annotations

import errno
import os
import shlex
import socket
import sys
from urllib.parse import urlsplit

from cdrapi.env import (
    DEFAULT_DATABASE_URL,
    ENV_FILE_VARIABLE,
    local_env_file,
    parse_bool,
    read_env_file,
    write_local_env,
)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and (busy := port_in_use(argv[0], int(argv[1]))):
        print(busy, file=sys.stderr)
        return 1
    path = local_env_file()
    if path is None:
        print(f"{ENV_FILE_VARIABLE} is empty: no local settings file; the environment alone "
              "must give DEBUG=1 (or SECRET_KEY) and DATABASE_URL.")  # fmt: skip
        return 0
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if write_local_env(path, database_url):
        print(f"Wrote {path}: DEBUG=1, a new SECRET_KEY, DATABASE_URL={_shown(database_url)}.")
        print("Every manage.py command in this checkout reads it (the environment wins).")
    else:
        print(f"Local settings: {path} (kept as it is).")
    return 0


def port_in_use(host: str, port: int) -> str | None:
    """Why the demo server could not listen on host:port, or None. Checked before the demo
    rotates its credentials, so that a second `make run` does not retire the ones the
    first one printed and then fail."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver does
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return f"make run cannot listen on {host}:{port}: {exc.strerror}."
            return (f"Port {port} on {host} is in use (another `make run`?): stop it, or "
                    f"serve on another port: PORT={port + 1} make run (a new run rotates the "
                    "demo credentials: those printed before stop working)")  # fmt: skip
    return None


def command_prefix() -> str:
    """The assignments a command typed in another shell needs to reach the database this
    process uses and start as it did: nothing when the local settings file says so
    already (the usual case), else `DATABASE_URL=…` and/or `DEBUG=1` to put before it."""
    from django.conf import settings

    path = settings.LOCAL_ENV_FILE
    local = read_env_file(path) if path is not None and path.is_file() else {}
    assignments = []
    if (
        settings.DEBUG
        and not parse_bool("DEBUG", local.get("DEBUG", "0"))
        and not local.get("SECRET_KEY")
    ):
        assignments.append("DEBUG=1")
    used = settings.DATABASE_URL
    if used != local.get("DATABASE_URL", DEFAULT_DATABASE_URL):
        assignments.append(f"DATABASE_URL={shlex.quote(used)}")
    return "".join(f"{assignment} " for assignment in assignments)


def _shown(url: str) -> str:
    """The URL with its password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
