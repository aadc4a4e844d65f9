from django.urls import re_path

from calls.plivo.views import CallViewSet

_list = CallViewSet.as_view({"get": "list"})
_detail = CallViewSet.as_view({"get": "retrieve"})

# The official SDKs always add the trailing slash; it is optional here.
urlpatterns = [
    re_path(r"^v1/Account/(?P<auth_id>[^/]+)/(?:Zentrunk/)?Call/?$", _list, name="plivo-call-list"),
    re_path(
        r"^v1/Account/(?P<auth_id>[^/]+)/(?:Zentrunk/)?Call/(?P<call_uuid>[^/]+)/?$",
        _detail,
        name="plivo-call-detail",
    ),
]
