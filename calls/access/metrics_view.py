"""/metrics: the Prometheus exposition (cdrapi/metrics.py), to a bearer METRICS_TOKEN or a
METRICS_ALLOW address. Here, not in the project, because a wrong token counts towards the
failed-authentication lockout every credential shares (calls/access/throttling.py)."""

from __future__ import annotations

import hmac
import ipaddress
import math

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework.exceptions import Throttled

from calls.access.throttling import FailedAuthLimiter
from cdrapi.addresses import client_address
from cdrapi.metrics import exposition


def metrics_view(request) -> HttpResponse:
    """Prometheus text format, to a bearer METRICS_TOKEN or a METRICS_ALLOW address.

    Plain-text refusals, not an API face's body: 401 for a missing or wrong token (wrong
    ones count towards the failed-authentication lockout), 403 for an address not allowed
    when no token is configured.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    limiter = FailedAuthLimiter(request)
    try:
        limiter.check()
    except Throttled as exc:
        response = _refusal(429, "Too many failed authentications.")
        response["Retry-After"] = str(max(1, math.ceil(exc.wait or 1)))
        return response
    if header:
        scheme, _, secret = header.partition(" ")
        token = settings.METRICS_TOKEN
        if not (token and scheme.lower() == "bearer"
                and hmac.compare_digest(secret.strip().encode(), token.encode())):  # fmt: skip
            limiter.failed()
            return _refusal(401, "Wrong metrics token.")
    elif not _allowed_address(request):
        if settings.METRICS_TOKEN:
            return _refusal(401, "Send the metrics token: Authorization: Bearer <token>.")
        return _refusal(403, "Metrics are not served to this address.")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def _allowed_address(request) -> bool:
    networks = settings.METRICS_ALLOW
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in networks)


def _refusal(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type="text/plain")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response
