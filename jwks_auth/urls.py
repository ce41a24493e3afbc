"""``path("", include("jwks_auth.urls"))`` at the root URLconf: RFC 9728 metadata, the Shared Signals receiver."""

from django.urls import path, re_path

from jwks_auth.ssf.push import receive_pushed_set
from jwks_auth.web.resource_metadata import protected_resource_metadata

urlpatterns = [
    re_path(
        r"^\.well-known/oauth-protected-resource(?P<suffix>/.*)?$",
        protected_resource_metadata,
        name="oauth-protected-resource",
    ),
    # RFC 8935 push delivery of Security Event Tokens (404 unless SHARED_SIGNALS names a transmitter).
    path("ssf/events", receive_pushed_set, name="ssf-events"),
]
