"""The /metrics path; the project's URLconf includes it by name (cdrapi imports no app)."""

from django.urls import path

from calls.access.metrics_view import metrics_view

urlpatterns = [path("metrics", metrics_view, name="metrics")]
