"""Admin login limits on top of django-axes.

Axes locks a (user name, address) pair after ADMIN_LOGIN_FAILURE_LIMIT failures. That
alone lets one address spray guesses across user names, each attempt costing the server a
password hash; so an address with ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT failures, whatever
the names, is locked out too, for the same cool-off. The address is the API's own
(cdrapi/addresses.py, set as AXES_CLIENT_IP_CALLABLE).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


class AdminLoginHandler(AxesDatabaseHandler):
    """Axes' database handler, plus the per-address limit (settings.AXES_HANDLER)."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Failures of this (user name, address) pair; an address past its own limit
        counts as a pair at its limit, which is how axes is told to refuse it."""
        failures = super().get_failures(request, credentials)
        limit = settings.ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT
        if limit and self.address_failures(request) >= limit:
            return max(failures, get_failure_limit(request, credentials))
        return failures

    @staticmethod
    def address_failures(request: HttpRequest) -> int:
        """Failed logins from the request's address within the cool-off, any user name."""
        attempts = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,
            attempt_time__gte=get_cool_off_threshold(request),
        )
        return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
