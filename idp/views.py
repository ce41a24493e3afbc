"""Discovery and JWKS in IdentityServer's shape, plus a tiny home page."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.generic import TemplateView
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import ConnectDiscoveryInfoView, JwksInfoView

from idp.dpop import ALGORITHMS
from idp.tokens import public_jwk

DISCOVERY_MAX_AGE = 300
JWKS_MAX_AGE = 3600


class DiscoveryView(ConnectDiscoveryInfoView):
    """DOT's OpenID provider metadata plus grant types, introspection and revocation."""

    def _get_endpoint_url(self, request: HttpRequest, view_name: str, required: bool = False) -> str | None:
        # Like IdentityServer, endpoints use the host the caller asked for and only
        # `issuer` is pinned, so containers can discover via http://idp:5000.
        return request.build_absolute_uri(reverse(f"oauth2_provider:{view_name}"))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        data = json.loads(super().get(request, *args, **kwargs).content)
        data.update(
            grant_types_supported=list(oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED),
            introspection_endpoint=self._get_endpoint_url(request, "introspect"),
            revocation_endpoint=self._get_endpoint_url(request, "revoke-token"),
            response_modes_supported=["query"],
            # RFC 9449 5.1: the token endpoint binds tokens to DPoP proofs (idp.dpop).
            dpop_signing_alg_values_supported=list(ALGORITHMS),
        )
        # CORS comes from django-cors-headers (IDP_CORS_ALLOWED_ORIGINS), not DOT's "*".
        response = JsonResponse(data)
        response["Cache-Control"] = f"public, max-age={DISCOVERY_MAX_AGE}"
        return response


class JwksView(JwksInfoView):
    """The signing key with its certificate (x5t, x5c), as IdentityServer publishes it."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        response = JsonResponse({"keys": [public_jwk()]})
        response["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
        return response


class HomeView(TemplateView):
    """Where to start: the discovery and JWKS URLs, and who is signed in."""

    template_name = "idp/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["issuer"] = oauth2_settings.OIDC_ISS_ENDPOINT
        context["discovery_url"] = self.request.build_absolute_uri(
            reverse("oauth2_provider:oidc-connect-discovery-info")
        )
        context["jwks_url"] = self.request.build_absolute_uri(reverse("oauth2_provider:jwks-info"))
        return context
