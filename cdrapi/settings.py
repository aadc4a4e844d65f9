"""Settings, every value read from the environment (docs/configuration.md).

SQLite is the default so that one can check out the code and run it; production sets
DATABASE_URL to PostgreSQL. A development checkout's `.env` (cdrapi/env.py) fills in what
the environment does not say.
"""

import zlib

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from cdrapi.env import (
    CHECKOUT,
    DEFAULT_DATABASE_URL,
    env_base_url,
    env_bool,
    env_directory,
    env_hosts,
    env_int,
    env_networks,
    env_rate,
    env_str,
    env_url,
    load_env_file,
    local_env_file,
)
from cdrapi.multihost import split_hosts, split_urls
from cdrapi.version import VERSION

BASE_DIR = CHECKOUT

# `make run` leaves DEBUG=1, a SECRET_KEY and its DATABASE_URL there, so that a command
# typed in any shell reaches the same database; the environment wins (README, "Set up").
LOCAL_ENV_FILE = local_env_file()
load_env_file(LOCAL_ENV_FILE)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off "
            "(in a development checkout, `make run` writes DEBUG=1 and a SECRET_KEY to .env)"
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_hosts("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS and not DEBUG:
    # Django would start, then refuse every request (400): stop here instead.
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set when DEBUG is off: the host names clients reach this "
        "server by, comma-separated (ALLOWED_HOSTS=cdr.example.com); without it every "
        "request is refused"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "accounts",
    "calls",
]

MIDDLEWARE = [
    "cdrapi.metrics.MetricsMiddleware",  # first: it times everything below
    "cdrapi.middleware.ConnectionCheckMiddleware",
    "cdrapi.middleware.AccessLogMiddleware",
    # A POST (any method but GET and HEAD) over plain HTTP is refused in JSON, never
    # redirected; GET and HEAD are redirected by Django's, next.
    "cdrapi.security.HttpsRequiredMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cdrapi.middleware.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cdrapi.middleware.DebugErrorPagesMiddleware",  # before CommonMiddleware's APPEND_SLASH
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: locks out admin logins after repeated failures.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin brute-force protection: 5 failures per user name and address lock it for 15 min;
# 20 failures from one address, whatever the user names, lock the address (accounts/admin_login.py).
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("ADMIN_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "accounts.admin_login.AdminLoginHandler"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The same client address as the API's limits (cdrapi/addresses.py), proxies included.
AXES_CLIENT_IP_CALLABLE = "cdrapi.addresses.client_address"
# Secrets shown once in the admin travel in a message: keep messages server-side.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "cdrapi.urls"
WSGI_APPLICATION = "cdrapi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# Persistent connections by default: under a sync WSGI server each worker serves one
# request at a time, so one long-lived connection per worker is the cheapest option
# (docs/configuration.md has the measurement against psycopg's pool). DB_POOL=1 switches to it.
DATABASE_URL = env_str("DATABASE_URL", DEFAULT_DATABASE_URL)
# Management commands (manage.py marks their process, and the processes they spawn, with
# CDRAPI_COMMAND=1; not runserver) run maintenance that legitimately takes longer than an
# API request may: they get their own statement timeout, 0 = none. They work in bounded
# batches and take their DDL locks with a short lock_timeout (calls/locks.py), so no limit
# is needed to protect the API from them.
COMMAND_PROCESS = env_bool("CDRAPI_COMMAND", False)
COMMAND_STATEMENT_TIMEOUT_MS = env_int("COMMAND_STATEMENT_TIMEOUT_MS", 0, minimum=0)
DB_POOL = env_bool("DB_POOL", False)


def _database(url: str, name: str) -> dict:
    try:
        # libpq's multi-host form (db1:5432,db2:5432): dj-database-url parses one host.
        one_host, hosts, ports = split_hosts(url)
        db = dj_database_url.parse(
            one_host,
            conn_max_age=0 if DB_POOL else env_int("DB_CONN_MAX_AGE", 600, minimum=0),
            # A reused connection is checked by cdrapi.middleware.ConnectionCheckMiddleware,
            # without Django's round trip (SELECT 1) on every request.
            conn_health_checks=False,
        )
    except ValueError as exc:  # the URL itself is not shown: it may hold a password
        scheme = url.split("://", 1)[0] if "://" in url else ""
        raise ImproperlyConfigured(
            f"{name} must be a URL like postgres://user:password@host:5432/name or "
            f"sqlite:///path ({'scheme ' + repr(scheme) if scheme else 'no scheme'}: "
            f"{type(exc).__name__})"
        ) from None
    if hosts:
        db["HOST"], db["PORT"] = hosts, ports
    if db["ENGINE"] == "django.db.backends.postgresql":
        options = db.setdefault("OPTIONS", {})
        # A statement slower than this is cut and answered 503: no hung worker.
        timeout_ms = env_int("DB_STATEMENT_TIMEOUT_MS", 5000, minimum=0)
        if COMMAND_PROCESS:
            timeout_ms = COMMAND_STATEMENT_TIMEOUT_MS
        # No JIT: these are short index-driven statements, and a correlated count's cost
        # estimate (calls/counting/remembered.py) made PostgreSQL spend 150 ms compiling a
        # statement that runs in 4 ms.
        options["options"] = f"-c statement_timeout={timeout_ms} -c jit=off"
        options.setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 3, minimum=1))
        if DB_POOL:
            options["pool"] = {"min_size": 1, "max_size": env_int("DB_POOL_MAX_SIZE", 4, minimum=1)}
    return db


_db = _database(DATABASE_URL, "DATABASE_URL")
if _db["ENGINE"] == "django.db.backends.postgresql":
    # One test database per checkout (as `make test` names it), so that two checkouts'
    # suites never share one, however pytest is started.
    _checkout = zlib.crc32(str(BASE_DIR).encode())
    _db.setdefault("TEST", {})["NAME"] = env_str("TEST_DATABASE_NAME") or f"test_cdrapi_{_checkout}"
DATABASES = {"default": _db}

# Streaming standbys of the primary (cdrapi/replicas.py): the call reads go to one that
# answers and is at most REPLICA_MAX_LAG_SECONDS behind, judged every REPLICA_CHECK_SECONDS;
# otherwise to the primary. Writes, accounts, credentials and the admin always use the primary.
DATABASE_REPLICAS = []
for _number, _url in enumerate(split_urls(env_str("DATABASE_REPLICA_URLS"))):
    _replica = _database(_url, "DATABASE_REPLICA_URLS")
    if _replica["ENGINE"] != "django.db.backends.postgresql" or _db["ENGINE"] != _replica["ENGINE"]:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS must be PostgreSQL standbys of a PostgreSQL DATABASE_URL"
        )
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica_{_number}")
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 30, minimum=0)
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 5, minimum=1)
DATABASE_ROUTERS = ["cdrapi.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Calls ------------------------------------------------------------------------------
# Width of the PostgreSQL range partitions of the call table (days, aligned to Mondays
# when 7). Chosen by bench/partition_planning.py; see docs/storage.md.
CALLS_PARTITION_DAYS = env_int("CALLS_PARTITION_DAYS", 7, minimum=1)
# How far ahead of today migrate/ensure_partitions create partitions.
CALLS_PARTITIONS_AHEAD_DAYS = env_int("CALLS_PARTITIONS_AHEAD_DAYS", 28, minimum=0)
# Calls that ended more than this many days ago are never returned by either face, and
# purge_calls removes them: the one retention setting (calls/query/window.py draws the line).
CALLS_RETENTION_DAYS = env_int("CALLS_RETENTION_DAYS", 90, minimum=1)

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"

# --- Security (safe when DEBUG is off) --------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
# On by default: turn off only if a subdomain must still be served over plain HTTP.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)

# --- Links ---------------------------------------------------------------------------------
# Pagination links that the vendor gives as absolute URLs start with this origin; unset,
# they are relative paths. Never built from the Host header, which the client chooses.
PUBLIC_BASE_URL = env_base_url("PUBLIC_BASE_URL")

# --- Request limits -----------------------------------------------------------------------
MAX_QUERY_STRING_BYTES = env_int("MAX_QUERY_STRING_BYTES", 8192, minimum=256)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
# Live ingestion's batch endpoint takes more (docs/ingest.md): 413 beyond either.
INGEST_BATCH_MAX_BYTES = env_int("INGEST_BATCH_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
INGEST_BATCH_MAX_RECORDS = env_int("INGEST_BATCH_MAX_RECORDS", 10_000, minimum=1)
# A batch's write may outlast the API's statement timeout (a 10,000-row COPY on a busy
# host): its transaction gets this one instead (0: no limit).
# Below gunicorn's worker timeout (30 s): a cut batch is a JSON 503, not a killed worker.
INGEST_BATCH_STATEMENT_TIMEOUT_MS = env_int("INGEST_BATCH_STATEMENT_TIMEOUT_MS", 20_000, minimum=0)

# --- Client address and rate limits (docs/security.md) ------------------
# How many proxies in front of us append to X-Forwarded-For; 0: the header is ignored.
# cdrapi/addresses.py reads it for every address-keyed limit and the access log.
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0)
THROTTLE_PLIVO_ACCOUNT = env_rate("THROTTLE_PLIVO_ACCOUNT", "300/5s")  # Plivo's own figure
THROTTLE_CARRIERX_TOKEN = env_rate("THROTTLE_CARRIERX_TOKEN", "100/1s")
THROTTLE_ADDRESS = env_rate("THROTTLE_ADDRESS", "600/5s")
# Failed authentications per (client address, claimed identity), and per address alone
# (calls/access/throttling.py, FailedAuthLimiter; docs/security.md).
THROTTLE_FAILED_AUTH = env_rate("THROTTLE_FAILED_AUTH", "10/1m")
THROTTLE_FAILED_AUTH_ADDRESS = env_rate("THROTTLE_FAILED_AUTH_ADDRESS", "100/1m")
# Seconds a worker trusts a checked credential and its account tree without asking the
# database again (0: every request asks). Revocation, rotation and deactivation take
# effect within this time (docs/performance.md).
CREDENTIAL_CACHE_SECONDS = env_int("CREDENTIAL_CACHE_SECONDS", 5, minimum=0)
# The number indexes INCLUDE the product on PostgreSQL (the store); SQLite builds them
# without it, which is all the zero-setup default needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Remember per-hour counts of the filters asked again (calls/counting/remembered.py), so a
# filtered total over 30 days reads remembered hours, not ~1M index entries (PostgreSQL).
COUNT_MEMO = env_bool("COUNT_MEMO", True)
# The memo rows one calling account's filters may hold (about 200 bytes each, with their
# share of the indexes: 250,000 is ~50 MB); past it, its least recently asked filters
# are forgotten to make room.
COUNT_MEMO_MAX_ROWS = env_int("COUNT_MEMO_MAX_ROWS", 250_000, minimum=0)
# The filters one calling account's asks are noted for (about 250 bytes each: 10,000 is
# ~2.5 MB); past it, its least recently asked filters that hold no memo row are forgotten.
COUNT_MEMO_MAX_FILTERS = env_int("COUNT_MEMO_MAX_FILTERS", 10_000, minimum=1)
# A number prefix this long or longer is counted through the number indexes, never
# remembered (a 7-digit prefix over 30 days of the benchmark's big account: ~3 ms).
COUNT_INDEXED_PREFIX_DIGITS = env_int("COUNT_INDEXED_PREFIX_DIGITS", 6, minimum=1)
# Expensive counts (a window of more than COUNT_BUDGET_MIN_CALLS calls, counted, being
# remembered or read from what was) one calling account may run at once, across workers
# and hosts; one more is refused with 429 and Retry-After (calls/counting/budget.py;
# 0: no budget; at most 255, the slot is 8 bits of the lock key).
COUNT_BUDGET_SLOTS = env_int("COUNT_BUDGET_SLOTS", 1, minimum=0, maximum=255)
COUNT_BUDGET_MIN_CALLS = env_int("COUNT_BUDGET_MIN_CALLS", 100_000, minimum=0)
# PostgreSQL parallel workers a budgeted count may use (-1: the server's
# max_parallel_workers_per_gather). 0 by default: a tenant's expensive count takes one
# core of the database server, never all of them (docs/performance.md, "The counting
# budget": on 2 cores, 30-day first asks were no slower serial, and other tenants faster).
COUNT_PARALLEL_WORKERS = env_int("COUNT_PARALLEL_WORKERS", 0, minimum=-1, maximum=1024)
COUNT_PARALLEL_WORKERS = None if COUNT_PARALLEL_WORKERS < 0 else COUNT_PARALLEL_WORKERS
# Seconds a worker skips looking for stale remembered hours of a filter it just brought
# up to date (one statement saved per request; hours changed meanwhile are counted live).
COUNT_MEMO_CHECK_SECONDS = env_int("COUNT_MEMO_CHECK_SECONDS", 5, minimum=0)
# purge_calls forgets the remembered counts of a filter nobody asked for in this many days.
COUNT_MEMO_UNUSED_DAYS = env_int("COUNT_MEMO_UNUSED_DAYS", 7, minimum=0)
# Where the rate-limit and lockout counters live (calls/access/counters.py): with a Redis
# URL, shared by every worker and host; without, in each worker's memory (the default
# cache below). Redis unreachable: each worker counts alone until it answers again.
REDIS_URL = env_url("REDIS_URL", {"redis", "rediss", "unix"})
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "cdrapi:")
REDIS_TIMEOUT_MS = env_int("REDIS_TIMEOUT_MS", 200, minimum=1)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "cdrapi",
        # Counters per client address: a full cache would forget some and let them through.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

# --- Metrics (docs/production.md, "Several workers and hosts") ------------------------
# /metrics answers a bearer METRICS_TOKEN, or a client address in METRICS_ALLOW (addresses
# or networks, judged by cdrapi/addresses.py); nobody otherwise.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOW = env_networks("METRICS_ALLOW")
# prometheus-client reads it itself; checked here so that a missing directory stops start-up
# rather than failing the first request that counts something.
PROMETHEUS_MULTIPROC_DIR = env_directory("PROMETHEUS_MULTIPROC_DIR")
# Prometheus scrapes each worker host directly, usually over plain HTTP on a private network,
# and load balancers probe health the same way: these answer over HTTP.
SECURE_REDIRECT_EXEMPT = [r"^metrics$", r"^healthz$", r"^readyz$"]

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Our throttles use cdrapi.addresses; this keeps DRF's own get_ident from trusting
    # X-Forwarded-For too (DRF reads None, its default, as "trust the whole header").
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "cdrapi",
    "DESCRIPTION": "Call detail records over two wire-compatible faces: a Plivo-style call "
    "API (HTTP Basic) and a CarrierX-style CDR API (Bearer tokens). See the README.",
    "VERSION": VERSION,  # the server's (pyproject.toml's), as /healthz and / show it
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Each product has its own hangup sources (calls/vocabulary/hangup.py): name their enums.
    "ENUM_NAME_OVERRIDES": {
        "VoiceHangupSourceEnum": "calls.vocabulary.hangup.VOICE_HANGUP_SOURCES",
        "ZentrunkHangupSourceEnum": "calls.vocabulary.hangup.ZENTRUNK_HANGUP_SOURCES",
    },
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own default gives "django" a console handler under DEBUG, and the record
    # then reaches root's as well: every line twice. Root's handler is the one.
    # pika narrates connections (INFO) and a queue it finds missing (WARNING) that we then
    # declare: a command's output is ours alone.
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL}, "pika": {"level": "ERROR"}},
}
