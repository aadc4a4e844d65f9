"""Plivo's error shape: {"api_id": "<uuid4>", "error": "<one sentence>"}.

Every failure of the Plivo face goes through `exception_handler`, so a client sees the
same shape for a bad filter, bad credentials, an unknown call, a wrong method or a
database outage, and never a stack trace.
"""

from __future__ import annotations

import logging

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from calls.throttling import retry_after
from cdrapi import outage

logger = logging.getLogger("cdrapi.plivo")


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
    if isinstance(exc, exceptions.Throttled):
        wait = retry_after(exc)
        return error_response(
            request, 429, f"{_sentence(exc.detail)} Retry in {wait} s.".replace("..", "."),
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
    if isinstance(exc, exceptions.MethodNotAllowed):
        return error_response(
            request, 405, f"The {request.method} method is not allowed here; use GET."
        )
    if isinstance(exc, exceptions.APIException):
        return error_response(request, exc.status_code, _sentence(exc.detail))
    if outage.is_outage(exc):
        outage.report(exc)
        response = error_response(
            request,
            503,
            "The call store is unavailable right now; retry shortly.",
            headers={"Retry-After": str(outage.RETRY_AFTER_SECONDS)},
        )
        response._has_been_logged = True  # outage.report logged it, once a minute
        return response
    logger.exception("unhandled error in the Plivo API")
    return error_response(request, 500, "An internal error occurred; it has been logged.")


def _sentence(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_sentence(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(_sentence(item) for item in detail.values())
    return str(detail)
