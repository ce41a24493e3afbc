"""The browser-facing pages and CORS, with Django's test client (no browser, no servers)."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import pytest
from django.test import Client

from tests.project.browser.conftest import missing_dependency
from tests.project.stack import REPO

ALLOWED = "http://spa.example"
OTHER = "http://evil.example"


@pytest.fixture
def web(settings: Any) -> Client:
    settings.OIDC_ISSUER = "http://idp.example:5000"
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    return Client(HTTP_HOST="localhost:5002")


def config_of(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="oidc-client-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no oidc-client-config script"
    return json.loads(match.group(1))


# --- CORS on the API ------------------------------------------------------------


def preflight(web: Client, origin: str) -> Any:
    return web.options(
        "/me",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


def test_preflight_from_an_allowed_origin_needs_no_token(web: Client) -> None:
    response = preflight(web, ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "authorization" in response["Access-Control-Allow-Headers"].split(", ")
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "WWW-Authenticate" not in response


def test_preflight_from_another_origin_gets_no_cors_headers(web: Client) -> None:
    response = preflight(web, OTHER)
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_401_exposes_the_challenge_to_an_allowed_origin(web: Client) -> None:
    response = web.get("/me", HTTP_ORIGIN=ALLOWED)
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "WWW-Authenticate" in response["Access-Control-Expose-Headers"].split(", ")
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')


def test_401_to_another_origin_has_no_cors_headers(web: Client) -> None:
    response = web.get("/me", HTTP_ORIGIN=OTHER)
    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response


# --- the SPA's pages ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/client/", "/client/callback.html", "/client/silent-renew.html"])
def test_spa_pages_render_their_config_from_settings(web: Client, settings: Any, path: str) -> None:
    settings.SPA_CLIENT_ID = "my-spa"
    response = web.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert config_of(html) == {
        "kind": "spa",
        "store_prefix": "spa.",
        "api_url": "http://localhost:5002/me",
        "step_up_url": "http://localhost:5002/me/step-up",
        "oidc": {
            "authority": "http://idp.example:5000",
            "client_id": "my-spa",
            "redirect_uri": "http://localhost:5002/client/callback.html",
            "silent_redirect_uri": "http://localhost:5002/client/silent-renew.html",
            "post_logout_redirect_uri": "http://localhost:5002/client/",
            "response_type": "code",
            "scope": "openid profile email api1",
        },
    }
    # The library comes from node_modules through the staticfiles machinery.
    assert '<script src="/static/vendor/oidc-client-ts/oidc-client-ts.min.js"></script>' in html


def test_spa_config_follows_the_host_the_browser_used(web: Client) -> None:
    response = web.get("/client/", HTTP_HOST="127.0.0.1:5002")
    assert config_of(response.content.decode())["oidc"]["redirect_uri"] == "http://127.0.0.1:5002/client/callback.html"


def test_oidc_client_ts_is_served_from_node_modules() -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("vendor/oidc-client-ts/oidc-client-ts.min.js")
    if not path:
        missing_dependency("oidc-client-ts is not installed: run `make client-deps` (npm ci in client_static/)")
    assert "node_modules/oidc-client-ts/dist/browser" in str(path)


def _seed_idp_constant(name: str) -> list[str]:
    # Read, not imported: seed_idp needs the idp's settings (oauth2_provider models).
    source = (REPO / "idp" / "management" / "commands" / "seed_idp.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not found in seed_idp.py")


def test_spa_redirect_uris_are_the_ones_seed_idp_registers(web: Client) -> None:
    REDIRECT_PATHS = _seed_idp_constant("REDIRECT_PATHS")
    POST_LOGOUT_PATHS = _seed_idp_constant("POST_LOGOUT_PATHS")
    spa = config_of(web.get("/client/").content.decode())["oidc"]
    api_auth = config_of(web.get("/me", HTTP_ACCEPT="text/html").content.decode())["oidc"]
    base = "http://localhost:5002"
    for uri in (
        spa["redirect_uri"],
        spa["silent_redirect_uri"],
        api_auth["redirect_uri"],
        base + "/api/docs/oauth2-redirect.html",
    ):
        assert uri.removeprefix(base) in REDIRECT_PATHS
    for uri in (spa["post_logout_redirect_uri"], api_auth["post_logout_redirect_uri"]):
        assert uri.removeprefix(base) in POST_LOGOUT_PATHS


# --- the browsable API ----------------------------------------------------------


def test_browsable_api_401_page_has_the_challenge_and_a_log_in_link(web: Client) -> None:
    response = web.get("/me", HTTP_ACCEPT="text/html")
    assert response.status_code == 401
    html = response.content.decode()
    assert "HTTP 401 Unauthorized" in html
    assert "<b>WWW-Authenticate:</b>" in html
    assert 'id="api-auth-login"' in html
    config = config_of(html)
    assert config["kind"] == "api-auth"
    assert config["store_prefix"] == "api-auth."
    assert config["oidc"]["redirect_uri"] == "http://localhost:5002/api-auth/callback.html"
    assert '<script src="/static/client_static/api-auth.js"></script>' in html


def test_browsable_api_root_renders(web: Client) -> None:
    response = web.get("/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "JWKS-protected API" in response.content.decode()


def test_api_auth_callback_page(web: Client) -> None:
    response = web.get("/api-auth/callback.html?code=x&state=y")
    assert response.status_code == 200
    assert config_of(response.content.decode())["kind"] == "api-auth"


# --- Swagger UI and the schema ----------------------------------------------------


def test_swagger_ui_is_served_without_a_cdn(web: Client) -> None:
    response = web.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html
    assert '"clientId": "spa"' in html
    assert '"usePkceWithAuthorizationCodeGrant": true' in html
    # drf-spectacular's own choice: the Authorize popup keeps window.opener.
    assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"


def test_swagger_oauth2_redirect_page(web: Client) -> None:
    response = web.get("/api/docs/oauth2-redirect.html?code=abc&state=xyz")
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/oauth2-redirect.js" in response.content.decode()
    assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"
    assert response["Referrer-Policy"] == "no-referrer"


def test_schema_has_the_oauth2_scheme_for_me(web: Client, settings: Any) -> None:
    response = web.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert set(schema["paths"]) == {"/", "/me", "/me/step-up", "/accounts/{account}"}
    flows = schema["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"].endswith("/connect/authorize")
    assert {"oauth2": ["api1"]} in schema["paths"]["/me"]["get"]["security"]
    assert {"oauth2": ["api1"]} in schema["paths"]["/me/step-up"]["get"]["security"]
