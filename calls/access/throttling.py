"""Rate limits for both faces: per credential, per client address, and failed logins.

Rates read like Plivo's own figure, "300/5s" (requests per N seconds, minutes, hours).
Each limit is a fixed-window counter (calls/access/counters.py): in Redis with
`REDIS_URL`, shared by every worker and host and incremented atomically; otherwise in
each worker's memory. DRF's SimpleRateThrottle is not used: it reads a list of
timestamps, appends and writes it back, so concurrent workers overwrite each other.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from calls.access import counters
from cdrapi import metrics
from cdrapi.addresses import client_address
from cdrapi.env import parse_rate


class _Throttle(BaseThrottle):
    scope = ""
    setting = ""

    def ident(self, request) -> str | None:
        """What the limit counts by; None: this request is not limited by it."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request)
        if ident is None:
            return True
        limit, window = parse_rate(getattr(settings, self.setting))
        count = counters.hit(f"throttle:{self.scope}:{ident}", window)
        self._wait = count.reset_in
        if count.hits <= limit:
            return True
        metrics.THROTTLED.labels(self.scope).inc()
        return False

    def wait(self) -> float:
        return self._wait


class PlivoAccountThrottle(_Throttle):
    """Plivo's limit: 300 requests per 5 seconds per account."""

    scope = "plivo_account"
    setting = "THROTTLE_PLIVO_ACCOUNT"

    def ident(self, request) -> str | None:
        return getattr(request.user, "auth_id", None)


class CarrierXTokenThrottle(_Throttle):
    scope = "carrierx_token"
    setting = "THROTTLE_CARRIERX_TOKEN"

    def ident(self, request) -> str | None:
        token = getattr(request, "auth", None)
        pk = getattr(token, "pk", None)
        return str(pk) if pk else None


class AddressThrottle(_Throttle):
    """Every request from one client address, whatever credentials it carries."""

    scope = "address"
    setting = "THROTTLE_ADDRESS"

    def ident(self, request) -> str | None:
        return client_address(request)


class FailedAuthLimiter:
    """Counts failed authentications per address; past the limit, refuse that address
    with 429 until the window passes, so tokens cannot be guessed at speed."""

    def __init__(self, request) -> None:
        self.key = f"authfail:{client_address(request)}"
        self.limit, self.window = parse_rate(settings.THROTTLE_FAILED_AUTH)

    def check(self) -> None:
        count = counters.peek(self.key)
        if count.hits >= self.limit:
            metrics.THROTTLED.labels("failed_auth").inc()
            raise exceptions.Throttled(
                wait=count.reset_in,
                detail="Too many failed authentications from this address; wait and retry.",
            )

    def failed(self) -> None:
        counters.hit(self.key, self.window)
