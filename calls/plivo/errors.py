"""Plivo's error shape: {"api_id": "<uuid4>", "error": "<one sentence>"}.

Every failure of the Plivo face goes through `exception_handler`, so a client sees the
same shape for a bad filter, bad credentials, an unknown call, a wrong method or a
database outage, and never a stack trace.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger("cdrapi.plivo")
RETRY_AFTER_SECONDS = 5


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request is not valid."


class NotFound(exceptions.NotFound):
    default_detail = "Not found."


def error_response(request, status_code: int, message: str, headers=None) -> Response:
    api_id = getattr(request, "api_id", None)
    return Response({"api_id": api_id, "error": message}, status=status_code, headers=headers)


def exception_handler(exc, context) -> Response | None:
    request = context["request"]
    if isinstance(exc, Http404):
        exc = NotFound()
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return error_response(
            request,
            401,
            str(exc.detail),
            headers={"WWW-Authenticate": 'Basic realm="cdrapi"'},
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        return error_response(
            request, 405, f"The {request.method} method is not allowed here; use GET."
        )
    if isinstance(exc, exceptions.APIException):
        return error_response(request, exc.status_code, _sentence(exc.detail))
    if isinstance(exc, OperationalError | InterfaceError) or _is_statement_timeout(exc):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        return error_response(
            request,
            503,
            "The call store is unavailable right now; retry shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    logger.exception("unhandled error in the Plivo API")
    return error_response(request, 500, "An internal error occurred; it has been logged.")


def _is_statement_timeout(exc: Exception) -> bool:
    cause = getattr(exc, "__cause__", None)
    return isinstance(exc, DatabaseError) and getattr(cause, "sqlstate", None) == "57014"


def _sentence(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_sentence(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(_sentence(item) for item in detail.values())
    return str(detail)
