"""Pages of the browser client: /client/ (the SPA), its callbacks, and the browsable API's callback.

Every page renders its OpenID Connect settings from Django settings as JSON
(``json_script``), so the same static JavaScript works for any issuer, host
and port. Redirect URIs are built from the URL the browser used, so both
http://localhost:5002 and http://127.0.0.1:5002 work (seed_idp registers both).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.views.generic import TemplateView

# sessionStorage key prefixes: the SPA and the browsable API keep separate users.
STORE_PREFIXES = {"spa": "spa.", "api-auth": "api-auth."}


def client_config(request: HttpRequest, kind: str = "spa") -> dict[str, Any]:
    """The oidc-client-ts settings (plus the API URL) for the SPA or the browsable API."""
    absolute = request.build_absolute_uri
    if kind == "spa":
        redirect_uri = absolute(reverse("client_static:callback"))
        post_logout_redirect_uri = absolute(reverse("client_static:index"))
    elif kind == "api-auth":
        redirect_uri = absolute(reverse("client_static:api-auth-callback"))
        post_logout_redirect_uri = absolute("/")
    else:
        raise ValueError(f"unknown client kind {kind!r}")
    return {
        "kind": kind,
        "store_prefix": STORE_PREFIXES[kind],
        "api_url": absolute(reverse("me")),
        "step_up_url": absolute(reverse("me-step-up")),
        "oidc": {
            "authority": settings.OIDC_ISSUER,
            "client_id": settings.SPA_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "silent_redirect_uri": absolute(reverse("client_static:silent-renew")),
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "response_type": "code",
            "scope": settings.SPA_SCOPE,
        },
    }


class ClientPage(TemplateView):
    """A page of the browser client with its config in the context."""

    kind = "spa"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["client_config"] = client_config(self.request, self.kind)
        return context


class SwaggerOAuth2Redirect(TemplateView):
    """Swagger UI's oauth2-redirect.html at /api/docs/oauth2-redirect.html (the registered redirect URI).

    Served here rather than redirected to the static file so that the page's
    headers are known: the popup hands the code to ``window.opener``, which a
    Cross-Origin-Opener-Policy other than ``unsafe-none`` on this page would
    cut (the popup arrives from the identity server's origin).
    """

    template_name = "client_static/swagger_oauth2_redirect.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().get(request, *args, **kwargs)
        response["Cross-Origin-Opener-Policy"] = "unsafe-none"
        response["Referrer-Policy"] = "no-referrer"  # the URL carries the authorization code
        return response
