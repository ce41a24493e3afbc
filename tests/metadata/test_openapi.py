"""The OpenAPI schema: the bearer/OAuth2 security schemes and each operation's scopes."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import patched_settings

pytestmark = pytest.mark.django_db(databases=[])

URLS = {
    "authorizationUrl": "https://idp.example.com/connect/authorize",
    "tokenUrl": "https://idp.example.com/connect/token",
}
OAUTH2 = {"OAUTH2_AUTHORIZATION_URL": URLS["authorizationUrl"], "OAUTH2_TOKEN_URL": URLS["tokenUrl"]}


def schema(settings_patch=None, urlconf="tests.support.scope_urls"):
    with patched_settings(settings_patch or {}):
        return SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)


def security(document, path, method="get"):
    return document["paths"][path][method].get("security")


def test_oauth2_and_bearer_schemes_when_the_urls_are_known(jwks_config):
    document = schema(OAUTH2)
    schemes = document["components"]["securitySchemes"]
    assert schemes["oauth2"] == {
        "type": "oauth2",
        "flows": {
            "authorizationCode": {**URLS, "scopes": {"api1": ""}},
            "clientCredentials": {"tokenUrl": URLS["tokenUrl"], "scopes": {"api1": ""}},
        },
    }
    assert schemes["bearerAuth"]["type"] == "http"
    assert schemes["bearerAuth"]["scheme"] == "bearer" and schemes["bearerAuth"]["bearerFormat"] == "JWT"
    assert "RS256" in schemes["bearerAuth"]["description"]


def test_each_operation_lists_the_scopes_its_view_requires(jwks_config):
    document = schema(OAUTH2)
    assert security(document, "/me") == [{"oauth2": ["api1"]}, {"bearerAuth": []}]
    assert security(document, "/authz/all") == [{"oauth2": ["orders.read", "orders.write"]}, {"bearerAuth": []}]
    assert security(document, "/authz/bound") == [{"oauth2": ["orders.read", "orders.write"]}, {"bearerAuth": []}]
    assert security(document, "/authz/any") == [
        {"oauth2": ["orders.admin"]},
        {"oauth2": ["orders.read"]},
        {"bearerAuth": []},
    ]
    assert security(document, "/authz/or") == [
        {"oauth2": ["orders.admin"]},
        {"oauth2": ["orders.read"]},
        {"bearerAuth": []},
    ]
    assert security(document, "/authz/rw", "get") == [{"oauth2": ["orders.read"]}, {"bearerAuth": []}]
    assert security(document, "/authz/rw", "post") == [{"oauth2": ["orders.write"]}, {"bearerAuth": []}]
    assert security(document, "/authz/map", "post") == [{"oauth2": ["orders.write"]}, {"bearerAuth": []}]
    assert security(document, "/authz/none") == [{"oauth2": []}, {"bearerAuth": []}]
    # The public Hello view has no authentication at all.
    assert not any("oauth2" in req or "bearerAuth" in req for req in security(document, "/") or [])


def test_me_follows_required_scopes(jwks_config, settings):
    settings.ME_REQUIRED_SCOPES = ["api1", "profile"]
    jwks_config(RESOURCE_METADATA={"SCOPES": ["api1", "profile", "orders.read"]})
    document = schema(OAUTH2)
    assert security(document, "/me") == [{"oauth2": ["api1", "profile"]}, {"bearerAuth": []}]
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert set(flows["authorizationCode"]["scopes"]) == {"api1", "profile", "orders.read"}


def test_openid_connect_discovery_when_the_urls_are_unknown(jwks_config, provider):
    document = schema({"OAUTH2_AUTHORIZATION_URL": None, "OAUTH2_TOKEN_URL": None})
    schemes = document["components"]["securitySchemes"]
    assert "oauth2" not in schemes
    assert schemes["oidc"] == {
        "type": "openIdConnect",
        "openIdConnectUrl": provider.issuer + "/.well-known/openid-configuration",
    }
    assert security(document, "/me") == [{"oidc": ["api1"]}, {"bearerAuth": []}]


def test_configured_flows_and_scope_descriptions(jwks_config):
    document = schema(
        {
            **OAUTH2,
            "OAUTH2_FLOWS": ["authorizationCode"],
            "OAUTH2_SCOPES": {"api1": "Call the API", "openid": "Sign in"},
        }
    )
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert list(flows) == ["authorizationCode"]
    assert flows["authorizationCode"]["scopes"] == {"api1": "Call the API", "openid": "Sign in"}


def test_only_bearer_without_any_issuer(settings):
    settings.JWKS_AUTH = {}
    document = schema({"OAUTH2_AUTHORIZATION_URL": None, "OAUTH2_TOKEN_URL": None})
    assert list(document["components"]["securitySchemes"]) == ["bearerAuth"]
    assert security(document, "/me") == [{"bearerAuth": []}]
