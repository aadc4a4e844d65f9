from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import cdrapi.openapi  # noqa: F401  (registers the security schemes)
from cdrapi.health import healthz, readyz
from cdrapi.home import document, home

# The admin's "View site" link: the home page (Django's default, said here on purpose).
admin.site.site_url = "/"

urlpatterns = [
    path("", home, name="home"),
    path("docs/<str:name>", document, name="document"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("calls.access.urls")),  # /metrics
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    path("", include("calls.plivo.urls")),
    path("", include("calls.carrierx.urls")),
    path("", include("calls.ingest.urls")),
]

handler400 = "cdrapi.views.bad_request"
handler404 = "cdrapi.views.not_found"
