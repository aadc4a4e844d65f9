"""The Plivo paths: /Call/ serves Voice calls, /Zentrunk/Call/ SIP-trunking calls
(docs/plivo.md, "Products")."""

from django.urls import path

from calls.models import VOICE, ZENTRUNK
from calls.plivo.views import CallViewSet


def _views(product: str):
    return (
        CallViewSet.as_view({"get": "list"}, product=product),
        CallViewSet.as_view({"get": "retrieve"}, product=product),
    )


_voice_list, _voice_detail = _views(VOICE)
_trunk_list, _trunk_detail = _views(ZENTRUNK)
_trunk_insights = CallViewSet.as_view({"get": "insights"}, product=ZENTRUNK)

# The official SDKs always send the trailing slash; a GET without it is redirected to it
# (APPEND_SLASH).
urlpatterns = [
    path("v1/Account/<str:auth_id>/Call/", _voice_list, name="plivo-call-list"),
    path("v1/Account/<str:auth_id>/Call/<str:call_uuid>/", _voice_detail,
         name="plivo-call-detail"),
    path("v1/Account/<str:auth_id>/Zentrunk/Call/", _trunk_list,
         name="plivo-zentrunk-call-list"),
    path("v1/Account/<str:auth_id>/Zentrunk/Call/<str:call_uuid>/", _trunk_detail,
         name="plivo-zentrunk-call-detail"),
    path("v1/Account/<str:auth_id>/Zentrunk/Call/<str:call_uuid>/Insights/", _trunk_insights,
         name="plivo-zentrunk-call-insights"),
]  # fmt: skip
