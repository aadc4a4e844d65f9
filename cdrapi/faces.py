"""The two API faces as far as errors go: which face a path belongs to, and its body.

One vocabulary of failures (a `Refusal`, which the apps' own errors subclass: calls/query/
errors.py; DRF's auth/throttle/method exceptions; database outages) is rendered by one
handler; the faces differ only in the
body they write: Plivo `{"api_id", "error"}`, CarrierX `{"message", "errors": [{"field",
"message"}]}` (docs/plivo.md and docs/carrierx.md, "Errors"). Middleware answers some
requests before any view runs (oversized, malformed, unknown path); they get the same.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass

from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from cdrapi import outage

logger = logging.getLogger("cdrapi.api")

PLIVO_PREFIX = "/v1/"
CARRIERX_PREFIX = "/core/"


class Refusal(Exception):
    """A request the contract refuses, with its status and the parameter at fault. The apps
    raise their own subclasses (calls.query.errors.QueryError); the handler below renders
    any of them in the face's body without knowing them."""

    status = 400

    def __init__(self, message: str, param: str = "request") -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(frozen=True)
class Face:
    name: str
    scheme: str  # the WWW-Authenticate scheme of a 401
    not_found: str  # the 404 of an unknown record, in the face's words
    store: str  # how the face names the store in a 503

    def body(self, request, status: int, message: str, field: str) -> dict:
        if self.name == "carrierx":
            return {"message": SUMMARIES.get(status, "error"),
                    "errors": [{"field": field, "message": message}]}  # fmt: skip
        api_id = getattr(request, "api_id", None) or str(uuid.uuid4())
        return {"api_id": api_id, "error": message}


PLIVO = Face("plivo", "Basic", "Not found.", "call store")
CARRIERX = Face(
    "carrierx", "Bearer", "No CDR with that dr_sid is visible to this token.", "CDR store"
)
SUMMARIES = {400: "invalid request", 401: "unauthorized", 403: "forbidden", 404: "not found",
             405: "method not allowed", 413: "payload too large", 414: "uri too long",
             429: "too many requests", 500: "internal error",
             503: "service unavailable"}  # fmt: skip


def face_of(path: str) -> Face | None:
    """The face a path was meant for, typos included (`//v1/…`, `/V1/…`, `/core`), so that
    a client's mistake is answered in the shape its face's clients parse."""
    first = "/" + path.lstrip("/").split("/", 1)[0].lower() + "/"
    if first == PLIVO_PREFIX:
        return PLIVO
    if first == CARRIERX_PREFIX:
        return CARRIERX
    return None


def error_response(request, status: int, message: str, field: str = "request", **headers):
    """A JsonResponse in the face's shape, for code that runs outside DRF."""
    face = face_of(request.path) or PLIVO
    response = JsonResponse(face.body(request, status, message, field), status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER for both faces: every failure in the face's shape, never a
    stack trace."""
    request = context["request"]
    face = face_of(request.path) or PLIVO
    status, message, field, headers = _describe(exc, request, face)
    response = Response(face.body(request, status, message, field), status=status,
                        headers=headers)  # fmt: skip
    if status == 503:
        response._has_been_logged = True  # outage.report logged it, once a minute
    return response


def _describe(exc, request, face: Face) -> tuple[int, str, str, dict]:
    if isinstance(exc, Refusal):
        return exc.status, exc.message, exc.param, {}
    if isinstance(exc, Http404):
        return 404, face.not_found, "dr_sid" if face is CARRIERX else "path", {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers = {"WWW-Authenticate": f'{face.scheme} realm="cdrapi"'}
        return 401, _sentence(exc.detail), "Authorization", headers
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, math.ceil(exc.wait or 1))  # Retry-After takes whole seconds
        # DRF appends "Expected available in N seconds." to the detail; ours says it once.
        said = str(exc.detail).split(" Expected available in ")[0]
        message = f"{_sentence(said)} Retry in {wait} s.".replace("..", ".")
        return 429, message, "rate", {"Retry-After": str(wait)}
    if isinstance(exc, exceptions.PermissionDenied):
        return 403, _sentence(exc.detail), "scope", {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        return 405, f"The {request.method} method is not allowed here; use GET.", "method", {}
    if isinstance(exc, exceptions.APIException):
        return exc.status_code, _sentence(exc.detail), "request", {}
    if outage.is_outage(exc):
        outage.report(exc)
        message = f"The {face.store} is unavailable right now; retry shortly."
        return 503, message, "database", {"Retry-After": str(outage.RETRY_AFTER_SECONDS)}
    logger.exception("unhandled error in the %s API", face.name)
    return 500, "An internal error occurred; it has been logged.", "server", {}


def _sentence(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_sentence(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(_sentence(item) for item in detail.values())
    return str(detail)
