"""``path("", include("jwks_auth.urls"))`` at the root URLconf: RFC 9728 metadata."""

from django.urls import re_path

from jwks_auth.web.resource_metadata import protected_resource_metadata

urlpatterns = [
    re_path(
        r"^\.well-known/oauth-protected-resource(?P<suffix>/.*)?$",
        protected_resource_metadata,
        name="oauth-protected-resource",
    ),
]
