"""Tokens shaped by each provider profile pass that profile's checks; the scopes land where it reads them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jwks_auth.testing import FakeIssuer

ISSUER = "https://idp.example.test/realms/shop"
PROFILES = [
    "rfc9068",
    "identityserver4-2",
    "identityserver4",
    "duende",
    "keycloak",
    "entra",
    "auth0",
    "okta",
    "cognito",
]


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile(profile: str, settings: Any, client: Client) -> None:
    settings.JWKS_AUTH = {"ISSUER": ISSUER, "AUDIENCE": ["orders-api"], "PROFILE": profile}
    with FakeIssuer() as issuer:
        assert client.get("/me", **bearer(issuer.token(["api1"]))).status_code == 200
        assert client.get("/me", **bearer(issuer.token(["other"]))).status_code == 403


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("rfc9068", {"scope": "api1 b", "aud": "orders-api", "client_id": "test-client"}),
        ("identityserver4-2", {"scope": ["api1", "b"], "aud": "orders-api"}),
        ("keycloak", {"scope": "api1 b", "typ": "Bearer", "azp": "test-client"}),
        ("entra", {"scp": "api1 b", "azp": "test-client"}),
        ("okta", {"scp": ["api1", "b"], "cid": "test-client"}),
        ("cognito", {"scope": "api1 b", "client_id": "orders-api", "token_use": "access"}),
    ],
)
def test_claims_by_profile(profile: str, expected: dict[str, Any], settings: Any) -> None:
    settings.JWKS_AUTH = {"ISSUER": ISSUER, "AUDIENCE": ["orders-api"], "PROFILE": profile}
    with FakeIssuer() as issuer:
        claims = issuer.claims(["api1", "b"])
    assert {name: claims.get(name) for name in expected} == expected
    assert "aud" not in claims if profile == "cognito" else claims["aud"] == "orders-api"


def test_keycloak_roles_as_scopes(settings: Any, client: Client) -> None:
    settings.JWKS_AUTH = {
        "ISSUER": ISSUER,
        "AUDIENCE": ["account"],
        "PROFILE": "keycloak",
        "SCOPE_CLAIMS": [["realm_access", "roles"]],
    }
    with FakeIssuer() as issuer:
        assert issuer.claims(["api1"])["realm_access"] == {"roles": ["api1"]}
        assert client.get("/me", **bearer(issuer.token(["api1"]))).status_code == 200


def test_several_issuers(settings: Any, client: Client) -> None:
    settings.JWKS_AUTH = {
        "AUDIENCE": ["orders-api"],
        "ISSUERS": [
            {"ISSUER": "https://a.example.test", "PROFILE": "auth0"},
            {"ISSUER": "https://b.example.test", "PROFILE": "okta", "JWKS_URI": "https://keys.example.test/b"},
        ],
    }
    with FakeIssuer() as first, FakeIssuer("https://b.example.test", isolate=False) as second:
        assert first.issuer == "https://a.example.test"
        assert client.get("/me", **bearer(first.token(["api1"]))).status_code == 200
        assert client.get("/me", **bearer(second.token(["api1"]))).status_code == 200
        assert second.jwks_fetches == 1
        # A token of b signed with a's key under b's kid layout: refused.
        assert client.get("/me", **bearer(first.token(["api1"], iss="https://b.example.test"))).status_code == 401


def test_an_issuer_that_is_not_configured(settings: Any) -> None:
    with pytest.raises(LookupError, match="no issuer"):
        FakeIssuer("https://elsewhere.example.test")


@pytest.mark.jwks_issuer("https://b.example.test")
def test_the_marker_picks_the_issuer(settings: Any, jwks_issuer: FakeIssuer, jwks_issuer_for: Any) -> None:
    assert jwks_issuer.issuer == "https://b.example.test"
    assert jwks_issuer_for("https://a.example.test").issuer == "https://a.example.test"


@pytest.fixture(autouse=True)
def project_settings(project_settings: None, settings: Any) -> None:
    """Two issuers (for the marker test; the others set their own before starting an issuer)."""
    settings.JWKS_AUTH = {
        "AUDIENCE": ["orders-api"],
        "ISSUERS": [{"ISSUER": "https://a.example.test"}, {"ISSUER": "https://b.example.test"}],
    }


def test_two_tenants_on_one_host(settings: Any, client: Client) -> None:
    tenants = ["https://login.example.test/tenant-a/v2.0", "https://login.example.test/tenant-b/v2.0"]
    settings.JWKS_AUTH = {"AUDIENCE": ["orders-api"], "PROFILE": "entra", "ISSUERS": tenants}
    with FakeIssuer(tenants[0]) as a, FakeIssuer(tenants[1], isolate=False) as b:
        for issuer in (a, b):
            assert client.get("/me", **bearer(issuer.token(["api1"]))).status_code == 200
        assert (a.jwks_fetches, b.jwks_fetches) == (1, 1)


def test_two_issuers_cannot_share_one_fake_jwks(settings: Any) -> None:
    shared = {"JWKS_URI": "https://login.example.test/common/keys"}
    settings.JWKS_AUTH = {
        "AUDIENCE": ["orders-api"],
        "ISSUERS": [{"ISSUER": "https://a.example.test", **shared}, {"ISSUER": "https://b.example.test", **shared}],
    }
    with FakeIssuer("https://a.example.test"):
        with pytest.raises(ValueError, match="another fake issuer"):
            FakeIssuer("https://b.example.test", isolate=False).start()
