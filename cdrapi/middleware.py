"""Request id, request limits and well-formedness, one JSON access-log line per request,
the check of a reused database connection, and the API's error pages with DEBUG on."""

from __future__ import annotations

import json
import logging
import re
import select
import time
import uuid
from urllib.parse import unquote, unquote_to_bytes

from django.conf import settings
from django.db import connections
from django.utils.functional import SimpleLazyObject, empty

from cdrapi.addresses import client_address
from cdrapi.faces import error_response, face_of
from cdrapi.views import api_bad_request, api_not_found

access_log = logging.getLogger("cdrapi.access")
# The 414's message: a rule of the request, which calls/query/rules.py lists by taking it
# from here (the project does not import the apps' list).
QUERY_TOO_LONG = "The query string is longer than {limit} bytes."
# HTTP allows a tab in a header value and no other control character (RFC 9110, 5.5).
_HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ConnectionCheckMiddleware:
    """Replace a database connection the server has closed before the request uses it.

    Django's own check (CONN_HEALTH_CHECKS) asks `SELECT 1` before each request's first
    query: a round trip, 0.16 ms of a 4 ms list request. A connection the server closed
    (a restart, a fail-over, a terminated backend) has something waiting on its socket,
    the server's last words or the end of the stream; only then is it asked, and closed
    if it does not answer, so that Django opens a new one for the request. A quiet socket
    is what `SELECT 1` would have found usable; one that went silent (a host gone
    without a word) would have hung `SELECT 1` as it hangs the request's query.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        for conn in connections.all(initialized_only=True):
            raw = conn.connection
            hung_up = conn.vendor == "postgresql" and raw is not None and _hung_up(raw)
            if hung_up and not conn.is_usable():
                conn.close()
        return self.get_response(request)


def _hung_up(raw) -> bool:
    """Whether the server has closed, or spoken on, an idle psycopg connection."""
    if raw.closed:
        return True
    poller = select.poll()
    try:
        poller.register(raw.fileno(), select.POLLIN)
    except (OSError, ValueError):
        return True
    return bool(poller.poll(0))


class RequestLimitsMiddleware:
    """Refuse oversized query strings (414) and bodies (413), and malformed requests
    (400), before any work is done, in the error shape of the face the path belongs to.

    The read APIs are GETs; nothing legitimate comes near these limits, and live
    ingestion's batch endpoint has its own (`body_limit`). Malformed
    means what no handler should have to think about: a query string that is not UTF-8
    or holds a NUL (which PostgreSQL text cannot store), a control character in the path
    or in a header. Django would quietly turn bad UTF-8 into U+FFFD and search for that.
    Authorization is left to the faces' authentication, where a malformed credential
    counts as a failed one.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request.api_id = str(uuid.uuid4())
        if len(request.META.get("QUERY_STRING", "")) > settings.MAX_QUERY_STRING_BYTES:
            message = QUERY_TOO_LONG.format(limit=settings.MAX_QUERY_STRING_BYTES)
            return error_response(request, 414, message)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, 400, "The Content-Length header is not a number.")
        limit = body_limit(request.path)
        if length > limit:
            return error_response(
                request, 413, f"The request body is larger than {limit} bytes."
            )  # fmt: skip
        problem = malformed(request)
        if problem is not None:
            field, message = problem
            return error_response(request, 400, message, field)
        return self.get_response(request)


def body_limit(path: str) -> int:
    """The largest body a path takes: live ingestion's batch endpoint takes batches."""
    if path.rstrip("/") == "/ingest/v1/calls":
        return settings.INGEST_BATCH_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def malformed(request) -> tuple[str, str] | None:
    """(field, message) about the first malformed part of `request`, or None."""
    raw = request.META.get("QUERY_STRING", "")
    try:
        query = raw.encode("iso-8859-1")  # WSGI hands the bytes over as ISO-8859-1 text
    except UnicodeEncodeError:
        query = raw.encode("utf-8", "surrogatepass")
    for pair in query.split(b"&"):
        for part in pair.split(b"=", 1):
            try:
                text = unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is None or "\x00" in text:
                name = unquote(pair.split(b"=", 1)[0].decode("iso-8859-1"))[:60]
                what = "is not valid UTF-8" if text is None else "contains a NUL character"
                return name, f"The query parameter {name!r} {what}."
    if _PATH_CONTROL.search(request.path_info):
        return "path", "The path contains a control character."
    for key, value in request.META.items():
        if not (key.startswith("HTTP_") or key == "CONTENT_TYPE") or key == "HTTP_AUTHORIZATION":
            continue
        if isinstance(value, str) and _HEADER_CONTROL.search(value):
            header = key.removeprefix("HTTP_").replace("_", "-").title()
            return header, f"The {header} header contains a control character."
    return None


class DebugErrorPagesMiddleware:
    """With DEBUG on, Django answers a path no URL pattern matches, or a request it refuses
    before any view (a Host not in ALLOWED_HOSTS), with its technical HTML pages (one lists
    every URL pattern) and never calls handler404 or handler400. Under the API prefixes this
    puts back the JSON that production answers (cdrapi.views), so that a client meets the
    same answers on `make run` as in production.

    Listed before CommonMiddleware: its APPEND_SLASH redirect is decided first. With DEBUG
    off it only compares a status code: the handlers already answered in JSON."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if (
            status in _API_ERROR_PAGES
            and settings.DEBUG
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return _API_ERROR_PAGES[status](request) or response
        return response


_API_ERROR_PAGES = {400: api_bad_request, 404: api_not_found}


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
        if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
            user = None  # nothing asked who this is; a log line must not load the session
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
                    "face": getattr(face_of(request.path), "name", None),
                },
                separators=(",", ":"),
            )
        )
        return response
