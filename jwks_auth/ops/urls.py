"""``path("", include("jwks_auth.ops.urls"))``: ``/livez``, ``/readyz`` and ``/metrics``."""

from django.urls import path

from jwks_auth.ops.views import livez, metrics_view, readyz

urlpatterns = [
    path("livez", livez, name="jwks-livez"),
    path("readyz", readyz, name="jwks-readyz"),
    path("metrics", metrics_view, name="jwks-metrics"),
]
