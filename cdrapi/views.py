"""Error pages for requests no view handled: JSON in the face's shape under the API
prefixes (live ingestion's `/ingest/` in the Plivo shape, as its views answer), Django's
pages elsewhere."""

from django.http import HttpResponse
from django.urls import is_valid_path
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found

from cdrapi.faces import CARRIERX, error_response, face_of

INGEST_PREFIX = "/ingest/"
INGEST_PATHS = "POST /ingest/v1/freeswitch, /ingest/v1/kamailio or /ingest/v1/calls"


def _ingest(path: str) -> bool:
    """`/ingest`, `/ingest/…`, typos of case and slashes included."""
    return ("/" + path.lstrip("/").lower() + "/").startswith(INGEST_PREFIX)


def not_found(request, exception=None):
    return api_not_found(request) or page_not_found(request, exception)


def api_not_found(request) -> HttpResponse | None:
    """The 404 of a path no view serves under an API prefix, in its face's JSON; None
    elsewhere. handler404 answers with it, and with DEBUG on (where Django skips
    handler404) cdrapi.middleware.DebugErrorPagesMiddleware does."""
    face = face_of(request.path)
    # The vendor's paths have no trailing slash, and neither have ours: say so when the
    # path without it is one (docs/carrierx.md, "Endpoints").
    if (
        face is CARRIERX
        and request.path_info.endswith("/")
        and is_valid_path(request.path_info.rstrip("/"), getattr(request, "urlconf", None))
    ):
        message = "No such endpoint: the CarrierX paths end without a slash; see /api/docs/."
        return error_response(request, 404, message, "path")
    if face:
        return error_response(request, 404, "No such endpoint; see /api/docs/.", "path")
    if _ingest(request.path):
        message = f"No such endpoint; live ingestion takes {INGEST_PATHS} (no trailing slash)."
        return error_response(request, 404, message, "path")
    return None


def bad_request(request, exception=None):
    return api_bad_request(request) or django_bad_request(request, exception)


def api_bad_request(request) -> HttpResponse | None:
    """Django refused the request before any view (a Host not in ALLOWED_HOSTS, too many
    parameters): under an API prefix, a 400 in the face's JSON; None elsewhere."""
    if face_of(request.path) or _ingest(request.path):
        return error_response(
            request, 400, "The request is malformed or its Host is not served here.", "request"
        )
    return None
