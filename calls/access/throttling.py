"""Rate limits for both faces: per credential, per client address, and failed logins.

Rates read like Plivo's own figure, "300/5s" (requests per N seconds, minutes, hours).
Counters live in Django's cache: the default in-process cache limits each worker on its
own; point CACHES at a shared cache (README) to limit across workers and hosts.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from cdrapi.addresses import client_address
from cdrapi.env import parse_rate


class _Throttle(SimpleRateThrottle):
    setting = ""

    def get_rate(self):
        return getattr(settings, self.setting)

    def parse_rate(self, rate):
        return parse_rate(rate)

    def get_ident(self, request) -> str:
        return client_address(request)


class PlivoAccountThrottle(_Throttle):
    """Plivo's limit: 300 requests per 5 seconds per account."""

    scope = "plivo_account"
    setting = "THROTTLE_PLIVO_ACCOUNT"

    def get_cache_key(self, request, view):
        account = getattr(request.user, "auth_id", None)
        return self.cache_format % {"scope": self.scope, "ident": account} if account else None


class CarrierXTokenThrottle(_Throttle):
    scope = "carrierx_token"
    setting = "THROTTLE_CARRIERX_TOKEN"

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is None or not getattr(token, "pk", None):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class AddressThrottle(_Throttle):
    """Every request from one client address, whatever credentials it carries."""

    scope = "address"
    setting = "THROTTLE_ADDRESS"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FailedAuthLimiter:
    """Counts failed authentications per address; past the limit, refuse that address
    with 429 until the window passes, so tokens cannot be guessed at speed."""

    key = "authfail:%s"

    def __init__(self, request) -> None:
        self.ident = client_address(request)
        self.limit, self.window = parse_rate(settings.THROTTLE_FAILED_AUTH)

    def check(self) -> None:
        if cache.get(self.key % self.ident, 0) >= self.limit:
            raise exceptions.Throttled(
                wait=self.window,
                detail="Too many failed authentications from this address; wait and retry.",
            )

    def failed(self) -> None:
        key = self.key % self.ident
        if not cache.add(key, 1, self.window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, self.window)
