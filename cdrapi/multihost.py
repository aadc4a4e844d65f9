"""libpq's multi-host database URLs, which dj-database-url refuses.

`postgres://user@db1:5432,db2:5432/cdrapi?target_session_attrs=read-write` names every
server of a failover pair: libpq tries them in order and keeps the first that accepts
writes, so a worker reconnecting after a failover finds the new primary by itself
(docs/production.md, "Failover"). Django hands HOST and PORT to libpq as given, and libpq
reads comma-separated lists in both.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<netloc>[^/?#]*)(?P<rest>.*)", re.S)
_HOST = re.compile(r"(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>[^:]*))?")


def split_hosts(url: str) -> tuple[str, str, str]:
    """(`url` with only its first host, the hosts "h1,h2", their ports "p1,p2") for a URL
    that names several hosts; (`url`, "", "") for one that names one. A port that is not a
    number is a ValueError (a port left out is libpq's default, 5432)."""
    match = _URL.fullmatch(url)
    if not match:
        return url, "", ""
    userinfo, at, hostlist = match["netloc"].rpartition("@")
    if "," not in hostlist:
        return url, "", ""
    hosts, ports = [], []
    for item in hostlist.split(","):
        part = _HOST.fullmatch(item)
        port = (part["port"] or "") if part else "x"
        if not part or not part["host"] or (port and not port.isdigit()):
            raise ValueError("a host of the list is not host[:port]")
        hosts.append(unquote(part["host"].strip("[]")))
        ports.append(port)
    first = hostlist.split(",", 1)[0]
    one = f"{match['scheme']}{userinfo}{at}{first}{match['rest']}"
    return one, ",".join(hosts), ",".join(ports) if any(ports) else ""


def split_urls(text: str) -> list[str]:
    """A comma-separated list of URLs, each of which may itself name several hosts: a comma
    starts a new URL only where a scheme (`postgres://`) follows it."""
    return [url.strip() for url in re.split(r",(?=\s*[A-Za-z][A-Za-z0-9+.-]*://)", text)
            if url.strip()]  # fmt: skip
