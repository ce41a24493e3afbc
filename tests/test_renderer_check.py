"""jwks_auth.W003: the browsable API in use must be the token-safe one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.checks import run_checks
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.test import APIRequestFactory

from jwks_auth.renderers import TokenSafeBrowsableAPIRenderer
from tests.views import MeView

pytestmark = pytest.mark.django_db(databases=[])

DRF = "rest_framework.renderers."
SAFE = "jwks_auth.renderers.TokenSafeBrowsableAPIRenderer"


class HomeMadeRenderer(BrowsableAPIRenderer):
    """A project's own browsable renderer: still DRF's page, still reflecting the URL."""


class HomeMadeSafeRenderer(TokenSafeBrowsableAPIRenderer):
    pass


def w003(settings: Any, rest_framework: dict[str, Any]) -> list[Any]:
    settings.JWKS_AUTH = {"ISSUER": "https://idp.example", "AUDIENCE": "api1"}
    settings.REST_FRAMEWORK = rest_framework
    return [m for m in run_checks() if m.id == "jwks_auth.W003"]


@pytest.mark.parametrize(
    "renderers",
    [
        None,  # DRF's defaults: JSONRenderer and BrowsableAPIRenderer
        [DRF + "JSONRenderer", DRF + "BrowsableAPIRenderer"],
        [DRF + "JSONRenderer", f"{__name__}.HomeMadeRenderer"],
    ],
    ids=["drf default", "explicit", "subclass"],
)
def test_the_browsable_api_of_drf_warns(settings, renderers):
    config = {"DEFAULT_AUTHENTICATION_CLASSES": ["jwks_auth.authentication.JWKSAuthentication"]}
    if renderers is not None:
        config["DEFAULT_RENDERER_CLASSES"] = renderers
    [warning] = w003(settings, config)
    assert "BrowsableAPIRenderer" in warning.msg or "HomeMadeRenderer" in warning.msg
    assert SAFE in warning.hint


@pytest.mark.parametrize(
    "renderers",
    [
        [DRF + "JSONRenderer", SAFE],
        [DRF + "JSONRenderer", f"{__name__}.HomeMadeSafeRenderer"],
        [DRF + "JSONRenderer"],
    ],
    ids=["token-safe", "token-safe subclass", "json only"],
)
def test_the_token_safe_renderer_or_json_only_passes(settings, renderers):
    assert w003(settings, {"DEFAULT_RENDERER_CLASSES": renderers}) == []


@pytest.mark.parametrize("renderer, reflected", [(BrowsableAPIRenderer, True), (TokenSafeBrowsableAPIRenderer, False)])
def test_what_the_warning_is_about(jwks_config, token, renderer, reflected):
    """DRF's page does print a query-string token (401 and all); the token-safe one does not."""
    view = type("Page", (MeView,), {"renderer_classes": [renderer]}).as_view()
    request = APIRequestFactory().get("/me?" + urlencode({"access_token": token}), HTTP_ACCEPT="text/html")
    response = view(request).render()
    assert response.status_code == 401
    assert (token in response.content.decode()) is reflected
