"""The one place that decides a request's client address.

Every address-keyed thing (the DRF throttles, the failed-authentication lockout, the admin
login lockout, the access log) calls `client_address`, so they cannot disagree and a
client cannot pick a fresh address by writing one into a header.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The address of the client that sent `request`, as a normalised IP string.

    With `NUM_PROXIES = 0` it is the peer (`REMOTE_ADDR`) and X-Forwarded-For is ignored:
    anyone can write that header. With N proxies in front, each appends the address it
    received the request from, so the Nth entry from the right was written by the
    outermost proxy about the client; entries left of it are the client's own words.
    If the header has fewer than N entries, or that entry is not an IP address, the
    request did not come through the proxies as configured: the peer is used.
    """
    peer = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.NUM_PROXIES
    if proxies:
        entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(entries) >= proxies:
            appended = _normalised(entries[-proxies])
            if appended:
                return appended
    return _normalised(peer) or peer


def _normalised(raw: str) -> str:
    """`raw` as Python spells the address (one key per client), or "" if it is not one."""
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return ""
