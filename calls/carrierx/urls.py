from django.urls import path

from calls.carrierx.views import CallDrViewSet

# The vendor's paths, without a trailing slash.
urlpatterns = [
    path("core/v2/calls/call_drs", CallDrViewSet.as_view({"get": "list"}),
         name="carrierx-call-dr-list"),
    path("core/v2/calls/call_drs/<str:dr_sid>", CallDrViewSet.as_view({"get": "retrieve"}),
         name="carrierx-call-dr-detail"),
]  # fmt: skip
