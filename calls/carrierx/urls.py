from django.urls import re_path

from calls.carrierx.views import CallDrViewSet

urlpatterns = [
    re_path(
        r"^core/v2/calls/call_drs/?$",
        CallDrViewSet.as_view({"get": "list"}),
        name="carrierx-call-dr-list",
    ),
    re_path(
        r"^core/v2/calls/call_drs/(?P<dr_sid>[^/]+)/?$",
        CallDrViewSet.as_view({"get": "retrieve"}),
        name="carrierx-call-dr-detail",
    ),
]
