"""What the authentication of both faces shares: the failed-authentication lockout."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from calls.access import credential_cache
from calls.access.throttling import FailedAuthLimiter


class LockoutAuthentication(authentication.BaseAuthentication):
    """A locked-out address is refused (429) before its header is read, and every
    credential that fails, malformed or wrong, counts towards the lockout: no kind of bad
    header escapes it. Subclasses check one scheme in `verify`; a good credential is
    remembered for CREDENTIAL_CACHE_SECONDS (calls/access/credential_cache.py)."""

    missing = "Authentication required."

    def authenticate(self, request):
        limiter = FailedAuthLimiter(request)
        limiter.check()
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            raise exceptions.NotAuthenticated(self.missing)
        kind = type(self).__name__
        remembered = credential_cache.get(kind, header)
        if remembered is not None:
            return remembered
        try:
            result = self.verify(header)
        except exceptions.AuthenticationFailed:
            limiter.failed()
            raise
        credential_cache.put(kind, header, result)
        return result

    def verify(self, header: str) -> tuple:
        """(user, auth) for good credentials; AuthenticationFailed for anything else."""
        raise NotImplementedError
