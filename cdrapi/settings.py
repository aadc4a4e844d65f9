"""Settings, every value read from the environment (see the README's configuration table).

SQLite is the default so that one can check out the code and run it; production sets
DATABASE_URL to PostgreSQL.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from cdrapi.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (make run sets DEBUG=1)"
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "axes",
    "accounts",
    "calls",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
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
# Admin brute-force protection: 5 failures per user name and address lock it for 15 min.
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("ADMIN_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
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
# (see the README for the measurement against psycopg's pool). DB_POOL=1 switches to it.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DB_POOL = env_bool("DB_POOL", False)
_db = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=0 if DB_POOL else env_int("DB_CONN_MAX_AGE", 600, minimum=0),
    conn_health_checks=not DB_POOL,
)
if _db["ENGINE"] == "django.db.backends.postgresql":
    options = _db.setdefault("OPTIONS", {})
    if DB_POOL:
        options["pool"] = {"min_size": 1, "max_size": env_int("DB_POOL_MAX_SIZE", 4, minimum=1)}
    _db.setdefault("TEST", {})["NAME"] = env_str("TEST_DATABASE_NAME") or None
    if not _db["TEST"]["NAME"]:
        del _db["TEST"]["NAME"]
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Calls ------------------------------------------------------------------------------
# Width of the PostgreSQL range partitions of the call table (days, aligned to Mondays
# when 7). Chosen by bench/partition_planning.py; see the README.
CALLS_PARTITION_DAYS = env_int("CALLS_PARTITION_DAYS", 7, minimum=1)
# How far ahead of today migrate/ensure_partitions create partitions.
CALLS_PARTITIONS_AHEAD_DAYS = env_int("CALLS_PARTITIONS_AHEAD_DAYS", 28, minimum=0)
CALLS_RETENTION_DAYS = 90

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
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 3600, minimum=0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
