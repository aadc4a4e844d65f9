"""The Plivo paths: /Call/ serves Voice calls, /Zentrunk/Call/ SIP-trunking calls
(docs/plivo.md, "Products")."""

from django.urls import path

from calls.plivo.views import VoiceCallViewSet, ZentrunkCallViewSet

_voice_list = VoiceCallViewSet.as_view({"get": "list"})
_voice_detail = VoiceCallViewSet.as_view({"get": "retrieve"})
_trunk_list = ZentrunkCallViewSet.as_view({"get": "list"})
_trunk_detail = ZentrunkCallViewSet.as_view({"get": "retrieve"})
_trunk_insights = ZentrunkCallViewSet.as_view({"get": "insights"})

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
