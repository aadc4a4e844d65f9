"""Error pages for paths no view matched: JSON in the face's shape under the API prefixes."""

from django.views.defaults import page_not_found

from cdrapi.faces import error_response, face_of


def not_found(request, exception=None):
    if face_of(request.path):
        return error_response(request, 404, "No such endpoint; see /api/docs/.", "path")
    return page_not_found(request, exception)
