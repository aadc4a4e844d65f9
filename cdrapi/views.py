"""Error pages for requests no view handled: JSON in the face's shape under the API
prefixes, Django's pages elsewhere."""

from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found

from cdrapi.faces import error_response, face_of


def not_found(request, exception=None):
    if face_of(request.path):
        return error_response(request, 404, "No such endpoint; see /api/docs/.", "path")
    return page_not_found(request, exception)


def bad_request(request, exception=None):
    """Django refused the request before any view (a Host not in ALLOWED_HOSTS, too many
    parameters)."""
    if face_of(request.path):
        return error_response(
            request, 400, "The request is malformed or its Host is not served here.", "request"
        )
    return django_bad_request(request, exception)
