"""URLs of the API project."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from client_static.views import SwaggerOAuth2Redirect

urlpatterns = [
    path("", include("api.urls")),
    # RFC 9728 protected resource metadata (/.well-known/oauth-protected-resource).
    path("", include("jwks_auth.urls")),
    # /livez, /readyz and /metrics for orchestrators and Prometheus.
    path("", include("jwks_auth.ops.urls")),
    # The browser client (/client/) and the browsable API's sign-in callback.
    path("", include("client_static.urls")),
    # OpenAPI schema and Swagger UI; oauth2-redirect.html sits next to the UI,
    # where Swagger UI sends the authorization response by default.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/docs/oauth2-redirect.html", SwaggerOAuth2Redirect.as_view(), name="swagger-oauth-redirect"),
]
