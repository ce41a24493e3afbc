"""URLs of the library tests: the small API of tests/views.py jwks_auth's metadata and operations views."""

from django.urls import include, path

from tests import views

urlpatterns = [
    path("", views.HelloView.as_view(), name="hello"),
    path("me", views.MeView.as_view(), name="me"),
    # RFC 9728 protected resource metadata (/.well-known/oauth-protected-resource).
    path("", include("jwks_auth.urls")),
    # /livez, /readyz and /metrics.
    path("", include("jwks_auth.ops.urls")),
]
