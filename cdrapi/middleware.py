"""Request id, request limits and one JSON access-log line per request."""

from __future__ import annotations

import json
import logging
import time
import uuid

from django.conf import settings

from cdrapi.addresses import client_address
from cdrapi.faces import error_response, face_of

access_log = logging.getLogger("cdrapi.access")


class RequestLimitsMiddleware:
    """Refuse oversized query strings (414) and bodies (413) before any work is done.

    The APIs are read-only GETs; nothing legitimate comes near these limits.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request.api_id = str(uuid.uuid4())
        if len(request.META.get("QUERY_STRING", "")) > settings.MAX_QUERY_STRING_BYTES:
            return error_response(
                request, 414,
                f"The query string is longer than {settings.MAX_QUERY_STRING_BYTES} bytes.",
            )  # fmt: skip
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, 400, "The Content-Length header is not a number.")
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return error_response(
                request, 413,
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            )  # fmt: skip
        return self.get_response(request)


class AccessLogMiddleware:
    """One JSON line per request: method, path, status, duration, account, client
    address, api_id.

    Never the query string's secrets or a header: credentials travel in Authorization,
    which is not logged; the path carries at most an auth id, which is not a secret.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        account = getattr(user, "auth_id", None)
        if account is None and getattr(user, "is_authenticated", False):
            account = f"staff:{getattr(user, 'pk', '')}"
        access_log.info(
            json.dumps(
                {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    "account": account,
                    "address": client_address(request),
                    "api_id": getattr(request, "api_id", None),
                    "face": face_of(request.path),
                },
                separators=(",", ":"),
            )
        )
        return response
