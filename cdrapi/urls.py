from django.contrib import admin
from django.urls import include, path

from cdrapi.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("", include("calls.plivo.urls")),
    path("", include("calls.carrierx.urls")),
]
