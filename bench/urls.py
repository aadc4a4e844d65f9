from django.urls import include, path

from bench.textbook import TextbookCallDetail, TextbookCallList

urlpatterns = [
    path("textbook/v1/Account/<str:auth_id>/Call/", TextbookCallList.as_view()),
    path("textbook/v1/Account/<str:auth_id>/Zentrunk/Call/", TextbookCallList.as_view()),
    path("textbook/v1/Account/<str:auth_id>/Call/<uuid:call_uuid>/", TextbookCallDetail.as_view()),
    path(
        "textbook/v1/Account/<str:auth_id>/Zentrunk/Call/<uuid:call_uuid>/",
        TextbookCallDetail.as_view(),
    ),
    path("", include("cdrapi.urls")),
]
