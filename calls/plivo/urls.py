from django.urls import path

from calls.plivo.views import CallViewSet

_list = CallViewSet.as_view({"get": "list"})
_detail = CallViewSet.as_view({"get": "retrieve"})

# The official SDKs always send the trailing slash; a GET without it is redirected to it
# (APPEND_SLASH).
urlpatterns = [
    path("v1/Account/<str:auth_id>/Call/", _list, name="plivo-call-list"),
    path("v1/Account/<str:auth_id>/Call/<str:call_uuid>/", _detail, name="plivo-call-detail"),
    path("v1/Account/<str:auth_id>/Zentrunk/Call/", _list, name="plivo-zentrunk-call-list"),
    path(
        "v1/Account/<str:auth_id>/Zentrunk/Call/<str:call_uuid>/",
        _detail,
        name="plivo-zentrunk-call-detail",
    ),
]
