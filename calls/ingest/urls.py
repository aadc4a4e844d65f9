"""Live ingestion's paths (docs/ingest.md)."""

from django.urls import path

from calls.ingest.views import BatchView, FreeSwitchView, KamailioView

urlpatterns = [
    path("ingest/v1/freeswitch", FreeSwitchView.as_view(), name="ingest-freeswitch"),
    path("ingest/v1/kamailio", KamailioView.as_view(), name="ingest-kamailio"),
    path("ingest/v1/calls", BatchView.as_view(), name="ingest-calls"),
]
