"""Generating, hashing and checking credentials.

Secrets are 122+ random bits from `secrets`, so a single SHA-256 is enough to store them:
a slow password hash protects guessable passwords, not random tokens, and would cost every
API request milliseconds. Only the digest is stored. An auth token's digest is compared
in constant time (`matches`); a bearer token is found by its digest (see
accounts.services.token_lookup), so timing can only tell about the digest, never the
secret.
"""

import hashlib
import hmac
import re
import secrets
import string
import uuid

AUTH_ID_ALPHABET = string.ascii_uppercase + string.digits
AUTH_ID_RE = r"^(MA|SA)[A-Z0-9]{18}$"
_BEARER_TOKEN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def new_auth_id(prefix: str) -> str:
    """`MA`/`SA` + 18 upper-case letters and digits: the form the official SDKs accept."""
    return prefix + "".join(secrets.choice(AUTH_ID_ALPHABET) for _ in range(18))


def is_auth_id(value: str) -> bool:
    """Whether `value` has the only form an auth id can have (so it may be looked up)."""
    return re.fullmatch(AUTH_ID_RE, value) is not None


def new_auth_token() -> str:
    """A 40-character token, like Plivo's (letters and digits, ~238 bits)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40))


def new_bearer_token() -> str:
    """A random UUID-shaped token, like CarrierX's (122 random bits)."""
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


def is_bearer_token(value: str) -> bool:
    """Whether `value` has the form `new_bearer_token` gives every token."""
    return _BEARER_TOKEN.fullmatch(value) is not None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
