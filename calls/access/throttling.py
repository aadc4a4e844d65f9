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
from calls.access.credentials import presented_identity
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
    """Failed authentications, counted twice: per (client address, claimed identity)
    against THROTTLE_FAILED_AUTH, and per address alone against the higher
    THROTTLE_FAILED_AUTH_ADDRESS. Past either, the request is refused with 429 before its
    credential is checked, until that window passes.

    So one client repeating a bad credential locks out that credential from its address,
    not the switches that share the address; and since a locked-out request is not
    counted, it adds at most THROTTLE_FAILED_AUTH failures a window to the address's
    count. Only many different bad credentials reach the address ceiling: guessing.
    The identity is calls/access/credentials.presented_identity, never the secret.
    """

    def __init__(self, request) -> None:
        address = client_address(request)
        identity = presented_identity(request.META.get("HTTP_AUTHORIZATION", ""))
        self.limits = [
            (f"authfail:{address}", settings.THROTTLE_FAILED_AUTH_ADDRESS,
             "failed_auth_address", ADDRESS_LOCKED),
        ]  # fmt: skip
        if identity is not None:  # no header: no credential to count
            self.limits.append(
                (f"authfail:{address}|{identity}", settings.THROTTLE_FAILED_AUTH,
                 "failed_auth", IDENTITY_LOCKED)
            )  # fmt: skip

    def check(self) -> None:
        counts = counters.peek_many([key for key, *_ in self.limits])
        for (_, rate, label, message), count in zip(self.limits, counts, strict=True):
            if count.hits >= parse_rate(rate)[0]:
                metrics.THROTTLED.labels(label).inc()
                raise exceptions.Throttled(wait=count.reset_in, detail=message)

    def failed(self) -> None:
        for key, rate, *_ in self.limits:
            counters.hit(key, parse_rate(rate)[1])


IDENTITY_LOCKED = (
    "Too many failed authentications with this credential from this address; wait and retry."
)
ADDRESS_LOCKED = "Too many failed authentications from this address; wait and retry."
