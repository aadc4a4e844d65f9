"""Error pages for requests no view handled: JSON in the face's shape under the API
prefixes (live ingestion's `/ingest/` in the Plivo shape, as its views answer), Django's
pages elsewhere."""

from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found

from cdrapi.faces import error_response, face_of

INGEST_PREFIX = "/ingest/"
INGEST_PATHS = "POST /ingest/v1/freeswitch, /ingest/v1/kamailio or /ingest/v1/calls"


def _ingest(path: str) -> bool:
    return ("/" + path.lstrip("/")).lower().startswith(INGEST_PREFIX)


def not_found(request, exception=None):
    if face_of(request.path):
        return error_response(request, 404, "No such endpoint; see /api/docs/.", "path")
    if _ingest(request.path):
        message = f"No such endpoint; live ingestion takes {INGEST_PATHS} (no trailing slash)."
        return error_response(request, 404, message, "path")
    return page_not_found(request, exception)


def bad_request(request, exception=None):
    """Django refused the request before any view (a Host not in ALLOWED_HOSTS, too many
    parameters)."""
    if face_of(request.path) or _ingest(request.path):
        return error_response(
            request, 400, "The request is malformed or its Host is not served here.", "request"
        )
    return django_bad_request(request, exception)
