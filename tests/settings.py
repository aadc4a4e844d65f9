"""Settings for the test suite: production settings with a throwaway secret key."""

import os

# Never a developer's .env (cdrapi/env.py): its DEBUG=1 and DATABASE_URL would change what
# the suite tests and where. Set, not defaulted, so the processes tests start inherit it
# too; a test that reads such a file names one itself.
os.environ["CDRAPI_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")  # DEBUG is off here

from cdrapi.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast admin-user fixtures

# Live-server tests serve each request on its own thread; close its connection at the end
# of the request so the test database can be dropped afterwards.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# No collectstatic before tests: WhiteNoise serves nothing.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = False  # the live server serves static files itself
ALLOWED_HOSTS = ["testserver", "localhost"]  # schemathesis loads the schema at collection

# Credentials are checked on every request here, so a test can revoke one and see it refused
# at once; the `shipped_credential_cache` fixture (tests/conftest.py) turns it on with the
# shipped lifetime, where a test shows that bound (test_speed_paths.py, test_write_auth.py,
# test_operator_commands.py).
CREDENTIAL_CACHE_SECONDS = 0
COUNT_MEMO_CHECK_SECONDS = 0  # every request brings the remembered counts up to date
