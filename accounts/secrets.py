"""Generating, hashing and checking credentials.

Secrets are 128+ bits from `secrets`, so a single SHA-256 is enough to store them: a slow
password hash protects guessable passwords, not random tokens, and would cost every API
request milliseconds. Only the digest is stored; comparisons are constant-time.
"""

import hashlib
import hmac
import secrets
import string
import uuid

AUTH_ID_ALPHABET = string.ascii_uppercase + string.digits


def new_auth_id(prefix: str) -> str:
    """`MA`/`SA` + 18 upper-case letters and digits: the form the official SDKs accept."""
    return prefix + "".join(secrets.choice(AUTH_ID_ALPHABET) for _ in range(18))


def new_auth_token() -> str:
    """A 40-character token, like Plivo's (letters and digits, ~238 bits)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40))


def new_bearer_token() -> str:
    """A random UUID-shaped token, like CarrierX's (122 random bits)."""
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
