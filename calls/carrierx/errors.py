"""CarrierX's error shape: {"message": "...", "errors": [{"field": ..., "message": ...}]}."""

from __future__ import annotations

import logging

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from calls.throttling import retry_after
from cdrapi import outage

logger = logging.getLogger("cdrapi.carrierx")


class Invalid(exceptions.APIException):
    """A 400 about one parameter (or one part of `filter`)."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _body(summary: str, field: str, message: str) -> dict:
    return {"message": summary, "errors": [{"field": field, "message": message}]}


def exception_handler(exc, context) -> Response | None:
    if isinstance(exc, Invalid):
        return Response(_body("invalid request", exc.field, str(exc.detail)), status=400)
    if isinstance(exc, Http404 | exceptions.NotFound):
        detail = getattr(exc, "detail", None) or "No CDR with that dr_sid is visible to this token."
        return Response(_body("not found", "dr_sid", str(detail)), status=404)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return Response(
            _body("unauthorized", "Authorization", str(exc.detail)),
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="cdrapi"'},
        )
    if isinstance(exc, exceptions.Throttled):
        wait = retry_after(exc)
        return Response(
            _body("too many requests", "rate", f"{exc.detail} Retry in {wait} s."),
            status=429,
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, exceptions.PermissionDenied):
        return Response(_body("forbidden", "scope", str(exc.detail)), status=403)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return Response(
            _body(
                "method not allowed",
                "method",
                f"{context['request'].method} is not allowed; use GET.",
            ),
            status=405,
        )
    if isinstance(exc, exceptions.APIException):
        return Response(
            _body("invalid request", "request", str(exc.detail)), status=exc.status_code
        )
    if outage.is_outage(exc):
        outage.report(exc)
        response = Response(
            _body(
                "service unavailable", "database", "The CDR store is unavailable; retry shortly."
            ),
            status=503,
            headers={"Retry-After": str(outage.RETRY_AFTER_SECONDS)},
        )
        response._has_been_logged = True  # outage.report logged it, once a minute
        return response
    logger.exception("unhandled error in the CarrierX API")
    return Response(
        _body("internal error", "server", "An internal error occurred; it has been logged."),
        status=500,
    )
