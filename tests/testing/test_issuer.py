"""The fake issuer against every front door and client: the issue's three tests, then its provider behaviour.

The project here is configured for an https issuer that does not exist
(conftest.py); nothing is on a socket, and the project's settings are the
ones the tokens are checked against.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import AsyncClient, Client
from ninja.testing import TestAsyncClient, TestClient
from rest_framework.test import APIClient

from jwks_auth.testing import FakeIssuer
from tests.asgi_app.api import api
from tests.asgi_app.doors import ASYNC_DOORS, DOORS
from tests.testing.conftest import AUDIENCE, ISSUER

SYNC_DOORS = [path for path in DOORS if path not in ASYNC_DOORS]


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# The issue's three tests, with the project's own scope (api1) and views.
def test_orders(client: Client, jwks_issuer: FakeIssuer) -> None:
    token = jwks_issuer.token(scopes=["api1"], sub="alice")
    response = client.get("/me", **bearer(token))
    assert response.status_code == 200, response.content
    assert response.json()["sub"] == "alice"


def test_orders_needs_scope(client: Client, jwks_issuer: FakeIssuer) -> None:
    token = jwks_issuer.token(scopes=["other"])
    assert client.get("/me", **bearer(token)).status_code == 403


def test_issuer_down(client: Client, jwks_issuer: FakeIssuer) -> None:
    with jwks_issuer.down():
        token = jwks_issuer.token(scopes=["api1"])
        response = client.get("/me", **bearer(token))
        assert response.status_code == 503
        assert response.headers["Retry-After"]


@pytest.mark.parametrize("path", SYNC_DOORS + ASYNC_DOORS)
def test_every_door_over_wsgi(path: str, client: Client, jwks_issuer: FakeIssuer) -> None:
    assert client.get(path, **bearer(jwks_issuer.token(scopes=["api1"]))).status_code == 200
    assert client.get(path, **bearer(jwks_issuer.token(scopes=["other"]))).status_code == 403
    assert client.get(path, **bearer(jwks_issuer.token(scopes=["api1"], expires_in=-600))).status_code == 401


@pytest.mark.parametrize("path", SYNC_DOORS + ASYNC_DOORS)
def test_every_door_over_asgi(path: str, jwks_issuer: FakeIssuer) -> None:
    good, scopeless = jwks_issuer.token(scopes=["api1"]), jwks_issuer.token(scopes=["other"])

    async def ask() -> list[int]:
        client = AsyncClient()
        return [
            (await client.get(path, headers={"Authorization": f"Bearer {t}"})).status_code for t in (good, scopeless)
        ]

    assert asyncio.run(ask()) == [200, 403]


def test_drf_api_client_with_authorize(jwks_issuer: FakeIssuer) -> None:
    client = APIClient()
    jwks_issuer.authorize(client, ["api1"], sub="bob")
    assert client.get("/me").json()["sub"] == "bob"
    jwks_issuer.authorize(client, ["other"])
    assert client.get("/me").status_code == 403


def test_ninja_test_client(jwks_issuer: FakeIssuer) -> None:
    client = TestClient(api)
    # Ninja's TestClient writes headers into META without upper-casing their names: AUTHORIZATION, not Authorization.
    response = client.get("/me", headers={"AUTHORIZATION": f"Bearer {jwks_issuer.token(['api1'], sub='carol')}"})
    assert response.status_code == 200, response.content
    assert response.json()["sub"] == "carol"
    jwks_issuer.authorize(client, ["other"])
    assert client.get("/me").status_code == 403


def test_ninja_async_test_client(jwks_issuer: FakeIssuer) -> None:
    client = TestAsyncClient(api)
    jwks_issuer.authorize(client, ["api1"], sub="dave")

    async def ask() -> Any:
        return await client.get("/ame")

    response = asyncio.run(ask())
    assert (response.status_code, response.json()["sub"]) == (200, "dave")


def test_the_token_is_shaped_by_the_settings(jwks_issuer: FakeIssuer) -> None:
    claims = jwks_issuer.claims(["a", "b"])
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE  # the first configured audience
    assert claims["scope"] == "a b"
    assert {"sub", "iat", "nbf", "exp", "jti", "client_id"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 300


def test_claims_and_headers_can_be_changed_or_removed(client: Client, jwks_issuer: FakeIssuer) -> None:
    assert client.get("/me", **bearer(jwks_issuer.token(["api1"], aud="someone-else"))).status_code == 401
    assert client.get("/me", **bearer(jwks_issuer.token(["api1"], iss="https://evil.example"))).status_code == 401
    assert client.get("/me", **bearer(jwks_issuer.token(["api1"], exp=None))).status_code == 401
    assert client.get("/me", **bearer(jwks_issuer.token(["api1"], headers={"typ": "JWT"}))).status_code == 401
    assert client.get("/me", **bearer(jwks_issuer.token(["api1"], aud="other-api"))).status_code == 200


def test_an_algorithm_the_project_does_not_allow_is_refused(settings: Any, client: Client) -> None:
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, "ALGORITHMS": ["ES256", "PS256"]}
    with FakeIssuer() as issuer:
        assert client.get("/me", **bearer(issuer.token(["api1"]))).status_code == 200  # ES256, the first
        assert client.get("/me", **bearer(issuer.token(["api1"], alg="PS256"))).status_code == 200
        assert client.get("/me", **bearer(issuer.token(["api1"], alg="RS256"))).status_code == 401


def test_rotate_keeps_the_old_key_published(client: Client, jwks_issuer: FakeIssuer) -> None:
    old = jwks_issuer.token(["api1"])
    assert client.get("/me", **bearer(old)).status_code == 200
    jwks_issuer.rotate()
    new = jwks_issuer.token(["api1"])
    assert client.get("/me", **bearer(new)).status_code == 200  # an unknown kid: the keys are fetched again
    assert client.get("/me", **bearer(old)).status_code == 200
    assert jwks_issuer.jwks_fetches == 2


def test_rotate_retiring_the_old_key(client: Client, jwks_issuer: FakeIssuer) -> None:
    old = jwks_issuer.token(["api1"])
    assert client.get("/me", **bearer(old)).status_code == 200
    jwks_issuer.rotate(retire=True)
    assert client.get("/me", **bearer(jwks_issuer.token(["api1"]))).status_code == 200
    assert client.get("/me", **bearer(old)).status_code == 401


def test_cached_keys_serve_while_the_provider_is_down(client: Client, jwks_issuer: FakeIssuer) -> None:
    assert client.get("/me", **bearer(jwks_issuer.token(["api1"]))).status_code == 200
    with jwks_issuer.down():
        assert client.get("/me", **bearer(jwks_issuer.token(["api1"]))).status_code == 200
    assert jwks_issuer.jwks_fetches == 1


def test_a_provider_slower_than_the_deadline_is_a_503(settings: Any, client: Client) -> None:
    project = settings.JWKS_AUTH
    settings.JWKS_AUTH = {**project, "HTTP_TIMEOUT": [2, 2]}
    with FakeIssuer() as issuer, issuer.slow(0.01):  # well within the deadline
        assert client.get("/me", **bearer(issuer.token(["api1"]))).status_code == 200
    settings.JWKS_AUTH = {**project, "HTTP_TIMEOUT": [0.05, 0.05]}
    with FakeIssuer() as issuer, issuer.slow(30):  # the fetch gives up after its 0.1 s, not after 30
        assert client.get("/me", **bearer(issuer.token(["api1"]))).status_code == 503


def test_discovery_is_served_for_the_issuer(client: Client, jwks_issuer: FakeIssuer) -> None:
    assert client.get("/me", **bearer(jwks_issuer.token(["api1"]))).status_code == 200
    assert jwks_issuer.transport.hits["/tenant-1/v2.0/.well-known/openid-configuration"] == 1
