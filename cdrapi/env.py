"""Typed readers for settings taken from the environment.

Each fails loudly with ImproperlyConfigured: a typo in production config should stop the
process at start-up, not surface later as odd behaviour.
"""

import ipaddress
import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_RATE = re.compile(r"([0-9]+)/([0-9]*)([smhd])", re.ASCII)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_base_url(name: str) -> str:
    """An origin such as `https://cdr.example.com` (no path, query or trailing slash), or
    empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.netloc
        or parts.path.strip("/")
        or parts.query
        or parts.fragment
    ):
        raise ImproperlyConfigured(
            f"{name} must be an origin like https://cdr.example.com, got {raw!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


def env_url(name: str, schemes: set[str]) -> str:
    """A URL with one of `schemes` and a host (or a socket path), or empty when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with {' or '.join(sorted(schemes))}://, got {raw!r}"
        )
    return raw


def env_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or CIDR networks (`10.0.0.0/8,::1`); none when unset."""
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network like 10.0.0.0/8"
            ) from None
    return tuple(networks)


def env_directory(name: str) -> str:
    """An existing directory, or empty when unset."""
    raw = os.environ.get(name, "").strip()
    if raw and not os.path.isdir(raw):
        raise ImproperlyConfigured(f"{name}: {raw!r} is not an existing directory")
    return raw


def parse_rate(rate: str) -> tuple[int, int]:
    """`"300/5s"` -> (300 requests, per 5 seconds); units s, m, h, d; `"10/m"` is per minute.

    The throttles parse with this too, so a rate that passes start-up cannot fail later.
    """
    match = _RATE.fullmatch(rate.strip())
    if not match:
        raise ValueError(f"{rate!r} is not a rate like 300/5s (requests/seconds, m, h or d)")
    count, amount, unit = int(match[1]), int(match[2] or 1), match[3]
    if count < 1 or amount < 1:
        raise ValueError(f"{rate!r}: the count and the period must be at least 1")
    return count, amount * _UNIT[unit]


def env_rate(name: str, default: str) -> str:
    """A rate limit such as `300/5s`; unset or empty means `default`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        parse_rate(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None
    return raw.strip()
