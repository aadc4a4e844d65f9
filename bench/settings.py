"""Production settings plus the textbook peer's route; throttles out of the way."""

from cdrapi.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
THROTTLE_PLIVO_ACCOUNT = THROTTLE_CARRIERX_TOKEN = THROTTLE_ADDRESS = "1000000000/1s"
SECURE_SSL_REDIRECT = False
STATIC_ROOT = None  # no static files are served in the benchmark
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "WARNING"}}  # fmt: skip
