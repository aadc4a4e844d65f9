"""Typed readers for settings taken from the environment, and the local settings file.

Each fails loudly with ImproperlyConfigured: a typo in production config should stop the
process at start-up, not surface later as odd behaviour.

A development checkout keeps its settings in a git-ignored `.env` (`make run` writes it
once, cdrapi/first_run.py), which the settings load into the environment before reading
it: every `manage.py` command, in any shell, then finds the same database. The process
environment wins over the file.
"""

import ipaddress
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_RATE = re.compile(r"([0-9]+)/([0-9]*)([smhd])", re.ASCII)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_HOST = re.compile(r"\*|\.?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\]", re.ASCII)

CHECKOUT = Path(__file__).resolve().parent.parent
# The database of a checkout run without DATABASE_URL (settings, and what `make run` writes).
DEFAULT_DATABASE_URL = f"sqlite:///{CHECKOUT / 'db.sqlite3'}"
# Names the local settings file instead of <checkout>/.env; empty: read none (the suite).
ENV_FILE_VARIABLE = "CDRAPI_ENV_FILE"
_ENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", re.ASCII)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return parse_bool(name, raw)


def parse_bool(name: str, raw: str) -> bool:
    """`raw` as the boolean setting `name` (1/0, true/false, yes/no, on/off)."""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be <= {maximum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_hosts(name: str, default: list[str]) -> list[str]:
    """Host names as clients send them in `Host` (`cdr.example.com`, `.example.com` for
    its subdomains, `10.0.0.5`, `[::1]`, `*`): Django compares them without the port, so
    an entry with a scheme, a port or a path never matches and is refused here."""
    hosts = env_list(name, default)
    for host in hosts:
        if not _HOST.fullmatch(host):
            raise ImproperlyConfigured(
                f"{name}: {host!r} is not a host name as clients send it (cdr.example.com, "
                ".example.com, 10.0.0.5, [::1]): no scheme, port or path"
            )
    return hosts


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


# --- The local settings file ---------------------------------------------------------------
def local_env_file() -> Path | None:
    """The local settings file this process reads: CDRAPI_ENV_FILE, else <checkout>/.env;
    None when CDRAPI_ENV_FILE is empty."""
    raw = os.environ.get(ENV_FILE_VARIABLE)
    if raw is None:
        return CHECKOUT / ".env"
    return Path(raw) if raw.strip() else None


def read_env_file(path: Path) -> dict[str, str]:
    """The `NAME=value` lines of a local settings file. Blank lines and `#` comments are
    skipped; `export ` before a name, one pair of quotes around a value and a ` #` comment
    after an unquoted one are allowed; any other line stops start-up (a setting silently
    skipped is the trap this file exists to remove). No `$` expansion: a value is literal."""
    values = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(line)
        if not match:
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value")
        value = match[2]
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].rstrip()
        values[match[1]] = value
    return values


def load_env_file(path: Path | None) -> None:
    """Put the file's settings into the environment where it has none (the environment
    wins); child processes inherit them. A missing file is nothing to load, unless
    CDRAPI_ENV_FILE named it."""
    if path is None:
        return
    if not path.is_file():
        if os.environ.get(ENV_FILE_VARIABLE):
            raise ImproperlyConfigured(f"{ENV_FILE_VARIABLE}: {str(path)!r} is not a file")
        return
    for name, value in read_env_file(path).items():
        os.environ.setdefault(name, value)


def write_local_env(path: Path, database_url: str) -> bool:
    """Create a development checkout's settings file: DEBUG=1, a new random SECRET_KEY and
    `database_url`, readable by its owner only. False, and nothing written, when the file
    exists: it is never overwritten (it may hold the developer's own settings)."""
    text = (
        "# Local settings of this checkout, written once by `make run` (cdrapi/first_run.py).\n"
        "# Every manage.py command reads them; the environment wins. Not for production.\n"
        "DEBUG=1\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"DATABASE_URL={database_url}\n"
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return True
