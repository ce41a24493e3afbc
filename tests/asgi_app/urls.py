"""URLs of the ASGI test project: one ``/me`` per front door, over the same validator."""

from django.urls import path

from tests import views as drf_views
from tests.asgi_app import views
from tests.asgi_app.api import api
from tests.asgi_app.own_response import api as own_response_api

urlpatterns = [
    path("", drf_views.HelloView.as_view(), name="hello"),
    path("me", drf_views.MeView.as_view(), name="me"),  # DRF, sync
    path("adrf/me", views.AdrfMe.as_view(), name="adrf-me"),
    path("ninja/", api.urls),
    path("ninja-own/", own_response_api.urls),  # operations returning their own HttpResponse
    path("plain/sync", views.plain_sync, name="plain-sync"),
    path("plain/async", views.plain_async, name="plain-async"),
    path("plain/open", views.plain_open, name="plain-open"),
    path("plain/any-token", views.plain_any_token, name="plain-any-token"),
    path("plain/class-sync", views.ClassSync.as_view(), name="class-sync"),
    path("plain/class-async", views.ClassAsync.as_view(), name="class-async"),
    path("pid", views.pid, name="pid"),
    path("lag", views.lag_probe, name="lag"),
]
