"""The sample API's /me in process, on config.settings as they are, with the testing kit's fake identity server.

The settings (issuer http://localhost:5000, audience api1, the rfc9068
profile, DPoP allowed, /me needing api1) are the sample's own; the fake issuer
stands in for idp/ without a socket. The real identity server and the API as
processes are tests/project/e2e's.
"""

from __future__ import annotations

from django.test import Client

from jwks_auth.testing import FakeIssuer


def test_me_returns_the_token_claims(client: Client, jwks_issuer: FakeIssuer) -> None:
    assert jwks_issuer.issuer == "http://localhost:5000"
    token = jwks_issuer.token(scopes=["api1", "openid"], sub="818727")
    response = client.get("/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    claims = response.json()
    assert (claims["sub"], claims["aud"], claims["scope"]) == ("818727", "api1", "api1 openid")


def test_me_needs_api1(client: Client, jwks_issuer: FakeIssuer) -> None:
    response = client.get("/me", HTTP_AUTHORIZATION=f"Bearer {jwks_issuer.token(scopes=['openid'])}")
    assert response.status_code == 403
    assert 'scope="api1"' in response.headers["WWW-Authenticate"]


def test_me_when_the_identity_server_is_down(client: Client, jwks_issuer: FakeIssuer) -> None:
    with jwks_issuer.down():
        response = client.get("/me", HTTP_AUTHORIZATION=f"Bearer {jwks_issuer.token(scopes=['api1'])}")
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_me_with_a_dpop_bound_token(client: Client, jwks_issuer: FakeIssuer) -> None:
    key = jwks_issuer.dpop_key()
    token = key.token(scopes=["api1"])
    assert client.get("/me", headers=key.headers("GET", "/me", token)).status_code == 200
    assert client.get("/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401  # a bound token needs its proof
