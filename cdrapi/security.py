"""HTTPS required, never a redirect, for a request that is not a GET or HEAD.

Django's SecurityMiddleware answers any request over plain HTTP with a 301 to HTTPS
(SECURE_SSL_REDIRECT). A redirect only helps a client that repeats its request on the new
location, which browsers and SDKs do for a GET. A client that POSTs gets a 301 it cannot
act on: curl (Kamailio's http_client, FreeSWITCH's mod_json_cdr) re-sends the POST as a GET
or hands the 301 back, and a switch that re-posts whatever was not a 2xx then posts the same
CDR over plain HTTP for ever, never stored. A 403 saying HTTPS is required is an answer such
a client logs and keeps its record for (docs/production.md, "HTTPS only").
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware

from cdrapi.faces import error_response

# Methods a client repeats on the redirect's new location: the only ones worth redirecting.
REDIRECTED_METHODS = frozenset({"GET", "HEAD"})
HTTPS_REQUIRED_STATUS = 403


class HttpsRequiredMiddleware:
    """Right before Django's SecurityMiddleware: a request it would redirect to HTTPS that is
    not a GET or HEAD gets a 403 in the face's JSON shape instead.

    Whether to redirect is Django's own decision (SECURE_SSL_REDIRECT, SECURE_REDIRECT_EXEMPT,
    SECURE_PROXY_SSL_HEADER), asked of a SecurityMiddleware of its own, which also gives the
    403 the headers every other answer carries.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.security = SecurityMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in REDIRECTED_METHODS or self.security.process_request(request) is None:
            return self.get_response(request)
        # The request id the body carries is the one the access log writes.
        request.api_id = str(uuid.uuid4())
        refused = error_response(
            request,
            HTTPS_REQUIRED_STATUS,
            f"HTTPS is required: this {request.method} came over plain HTTP and was not "
            "processed. Send it to the https:// URL (a credential it carried crossed the "
            "network unencrypted).",
        )
        return self.security.process_response(request, refused)
