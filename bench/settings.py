"""Production settings plus the textbook peer's route; throttles out of the way."""

import os

from cdrapi.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# The noisy neighbour runs with the shipped per-account limits (BENCH_SHIPPED_LIMITS=1), as
# a deployment would; every other scenario measures speed, so the limits step aside. The
# per-address limit always does: here every tenant calls from 127.0.0.1.
THROTTLE_ADDRESS = "1000000000/1s"
if os.environ.get("BENCH_SHIPPED_LIMITS") != "1":
    THROTTLE_PLIVO_ACCOUNT = THROTTLE_CARRIERX_TOKEN = "1000000000/1s"
SECURE_SSL_REDIRECT = False
STATIC_ROOT = None  # no static files are served in the benchmark
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "WARNING"}}  # fmt: skip
