"""Reading an Authorization header without judging it: the Basic pair, and who a
credential claims to be (the failed-authentication lockout counts per claimed identity).
"""

from __future__ import annotations

import base64
import binascii

from accounts import secrets as creds


def decode_basic(value: str) -> tuple[str, str] | None:
    """(user, password) of a Basic credential's base64 part; None if it is not base64 of
    UTF-8 (every face refuses such a header the same way)."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, _, password = decoded.partition(":")
    return user, password


def presented_identity(header: str) -> str | None:
    """Whom a header claims to be, never its secret; None without a header.

    A bearer token, sent as Bearer or as a Basic password (what switches send), is its own
    identity: a 64-bit prefix of its SHA-256, which tells nothing about the secret. An
    auth token's identity is its auth id, so guesses at one account's auth token share
    one count. Anything that cannot be a credential (another scheme, bad base64, a value
    of no credential's form) is the one identity `other`: garbage shares one count too.
    """
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer" and creds.is_bearer_token(value):
        return "token:" + creds.digest(value)[:16]
    if scheme == "basic":
        pair = decode_basic(value)
        if pair is not None:
            user, password = pair
            if creds.is_bearer_token(password):
                return "token:" + creds.digest(password)[:16]
            if creds.is_auth_id(user):
                return "auth_id:" + user
    return "other"
