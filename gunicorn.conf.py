"""gunicorn's settings, read from the directory it starts in (docs/production.md). Every
value can be overridden by its environment variable or on the command line (`--workers 4`
beats GUNICORN_WORKERS beats the formula).

Serve behind nginx (deploy/nginx/cdrapi.conf): gunicorn listens on loopback only.

Worker class: sync. Behind nginx a worker only ever gets complete requests and hands its
response to nginx at loopback speed, so the sync model's one weakness (a slow client holds
a worker) is gone; what remains is its strength here: one request per process, one
database connection per worker (DB_CONN_MAX_AGE), a statement cut at DB_STATEMENT_TIMEOUT_MS
frees the worker, and no thread shares the GIL with a request's ~4 ms of Python. gthread
would need a connection per thread and buys nothing while requests are CPU and database
bound; gevent would need psycopg made cooperative.

Signals (to the master, `kill -HUP $(cat /run/cdrapi/gunicorn.pid)`):
- HUP: graceful reload. Re-reads this file, starts new workers (with the new code: the
  app is not preloaded), then stops the old ones once their request is answered. Nothing
  is refused meanwhile (tests/deploy/test_gunicorn.py). Use it for a code deploy.
- USR2, then WINCH and QUIT to the old master: a new master on the same socket, for a new
  virtualenv or gunicorn itself (docs/production.md).
- TERM: graceful stop within graceful_timeout; QUIT/INT: at once.
- TTIN / TTOU: one worker more / less.
"""

import os
import subprocess
import sys
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores() -> int:
    """CPUs this process may run on (a container's share, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # nginx's upstream
# 2 per core + 1: a request is about half Python (CPU) and half waiting on PostgreSQL, so
# two workers keep a core busy, and one more covers a worker restarting (max_requests).
# Each worker holds one PostgreSQL connection: workers x hosts must fit max_connections.
workers = _env_int("GUNICORN_WORKERS", 2 * _cores() + 1)
worker_class = "sync"
# A worker silent this long is killed and replaced. Well above a request's worst case (API
# statements stop at DB_STATEMENT_TIMEOUT_MS, 5 s by default), below nginx's
# proxy_read_timeout (35 s), so a hung worker is restarted before nginx gives up.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)  # to finish in-flight requests
keepalive = 5  # seconds; used by threaded workers only (sync closes after each response)
# Recycle a worker after this many requests (+ up to the jitter, so that workers do not
# restart together): bounds slow leaks; a restart costs ~1 s of one worker.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 10_000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 1_000)
# nginx refuses request lines and headers over 8 KB first (in JSON); these are gunicorn's
# own maxima, for a request that reaches it some other way.
limit_request_line = 8190
limit_request_field_size = 8190
pidfile = os.environ.get("GUNICORN_PIDFILE") or None
# gunicorn 25.1+ opens a control socket at one path per user ($XDG_RUNTIME_DIR, or
# ~/.gunicorn/gunicorn.ctl): several instances on one host (the suite's servers, the
# benchmark's, two releases side by side) would share it, and one instance's control
# could reach another (a probe's server got a SIGTERM it was never sent). This server is
# managed by signals (HUP, TERM: docs/production.md), so the socket is off.
control_socket_disable = True

# The app writes its own JSON access line per request (logger cdrapi.access, with api_id).
# gunicorn's line is off unless GUNICORN_ACCESS_LOG names a file or "-" (stderr); it
# carries nginx's request id (X-Request-ID, also in nginx's log) to join the two.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms pid=%(p)s request_id=%({x-request-id}i)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


# --- Metrics in multiprocess mode (docs/production.md, "Several workers and hosts") ---
# With PROMETHEUS_MULTIPROC_DIR set, the metric files of the previous run are removed at
# start, and a dead worker's are marked so its gauges stop counting.
def on_starting(server):
    # First, a bad setting (docs/configuration.md) stops the server before any worker
    # starts, with one line naming it (cdrapi/startup.py). Checked in a child process: the
    # master imports no application code, so a HUP still loads new code.
    if subprocess.run([sys.executable, "-m", "cdrapi.startup"], check=False).returncode:
        server.halt("bad settings (the line above)", 1)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# The client's scheme is Django's to judge (SECURE_PROXY_SSL_HEADER, set by BEHIND_TLS_PROXY):
# gunicorn's default believes X-Forwarded-Proto/-Ssl/-Protocol from 127.0.0.1, so any local
# client could call plain HTTP "https".
secure_scheme_headers: dict[str, str] = {}
