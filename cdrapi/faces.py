"""Which API face a path belongs to, and that face's error body.

Middleware answers some requests before any view runs (oversized, unknown path); they
still get the error shape of the face the client speaks.
"""

from __future__ import annotations

import uuid

from django.http import JsonResponse

PLIVO_PREFIX = "/v1/"
CARRIERX_PREFIX = "/core/"


def face_of(path: str) -> str | None:
    """The face a path was meant for, typos included (`//v1/…`, `/V1/…`, `/core`), so that
    a client's mistake is answered in the shape its face's clients parse."""
    first = "/" + path.lstrip("/").split("/", 1)[0].lower() + "/"
    if first == PLIVO_PREFIX:
        return "plivo"
    if first == CARRIERX_PREFIX:
        return "carrierx"
    return None


def error_response(request, status: int, message: str, field: str = "request", **headers):
    face = face_of(request.path)
    if face == "carrierx":
        body = {"message": message.rstrip("."), "errors": [{"field": field, "message": message}]}
    else:
        api_id = getattr(request, "api_id", None) or str(uuid.uuid4())
        body = {"api_id": api_id, "error": message}
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response
