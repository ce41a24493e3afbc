"""Sender-constrained tokens from the kit (DPoP, certificate-bound), the authorization bypass, unittest use."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from django.test import AsyncClient, Client, SimpleTestCase, override_settings
from ninja.testing import TestClient
from rest_framework.test import APIClient

from jwks_auth.testing import FakeIssuer, JWKSIssuerTestMixin, force_token
from tests.asgi_app.api import api
from tests.testing.conftest import ISSUER


def test_dpop_bound_token(client: Client, jwks_issuer: FakeIssuer) -> None:
    key = jwks_issuer.dpop_key()
    token = key.token(["api1"])
    assert client.get("/me", headers=key.headers("GET", "/me", token)).status_code == 200
    other = jwks_issuer.dpop_key()
    assert client.get("/me", headers=other.headers("GET", "/me", token)).status_code == 401  # another key's proof
    assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401  # no proof


def test_dpop_nonce(settings: Any, client: Client) -> None:
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, "DPOP_NONCE": True}
    with FakeIssuer() as issuer:
        key = issuer.dpop_key()
        token = key.token(["api1"])
        first = client.get("/me", headers=key.headers("GET", "/me", token))
        assert first.status_code == 401
        nonce = first.headers["DPoP-Nonce"]
        assert client.get("/me", headers=key.headers("GET", "/me", token, nonce=nonce)).status_code == 200


@pytest.mark.parametrize("fmt", ["escaped-pem", "xfcc", "rfc9440", "base64-der"])
def test_certificate_bound_token(fmt: str, settings: Any, client: Client) -> None:
    settings.JWKS_AUTH = {
        **settings.JWKS_AUTH,
        "PROXY": {"CLIENT_CERT_HEADER": "X-Client-Cert", "CLIENT_CERT_FORMAT": fmt, "ADDRESSES": ["127.0.0.1"]},
    }
    with FakeIssuer() as issuer:
        certificate = issuer.client_certificate()
        token = certificate.token(["api1"])
        assert client.get("/me", headers=certificate.headers(token)).status_code == 200
        stranger = issuer.client_certificate()
        assert client.get("/me", headers=stranger.headers(token)).status_code == 401


@pytest.mark.parametrize("path", ["/me", "/adrf/me", "/ninja/me", "/ninja/ame", "/plain/sync", "/plain/class-async"])
def test_force_token_skips_validation(path: str, jwks_issuer: FakeIssuer) -> None:
    client = Client()
    with jwks_issuer.down():  # no key can be fetched: only a forced token gets through
        force_token(client, jwks_issuer.access_token(["api1"], sub="erin"))
        response = client.get(path)
        assert response.status_code == 200, response.content
        assert response.json()["sub"] == "erin"
        force_token(client, jwks_issuer.access_token(["other"]))
        assert client.get(path).status_code == 403
        force_token(client, None)
        assert client.get(path).status_code == 401
    assert jwks_issuer.jwks_fetches == 0


def test_force_token_with_the_other_clients(jwks_issuer: FakeIssuer) -> None:
    token = jwks_issuer.access_token(["api1"], sub="frank")
    drf = APIClient()
    force_token(drf, token)
    assert drf.get("/me").json()["sub"] == "frank"
    ninja = TestClient(api)
    force_token(ninja, token)
    assert ninja.get("/me").json()["sub"] == "frank"
    asgi = AsyncClient()
    force_token(asgi, token)
    assert asyncio.run(asgi.get("/plain/async")).json()["sub"] == "frank"
    assert jwks_issuer.jwks_fetches == 0


@override_settings(ROOT_URLCONF="tests.asgi_app.urls", JWKS_AUTH={"ISSUER": ISSUER, "AUDIENCE": ["orders-api"]})
class UnittestStyle(JWKSIssuerTestMixin, SimpleTestCase):
    """For django.test.TestCase users: self.jwks_issuer, started and stopped around each test."""

    def test_a_token(self) -> None:
        token = self.jwks_issuer.token(["api1"], sub="gina")
        response = self.client.get("/me", headers={"Authorization": f"Bearer {token}"})
        self.assertEqual(response.json()["sub"], "gina")

    def test_down(self) -> None:
        with self.jwks_issuer.down():
            response = self.client.get("/me", headers={"Authorization": f"Bearer {self.jwks_issuer.token(['api1'])}"})
        self.assertEqual(response.status_code, 503)


def test_force_token_on_a_request_factory_request(jwks_issuer: FakeIssuer) -> None:
    from django.test import RequestFactory

    from tests.asgi_app.views import plain_sync

    request = RequestFactory().get("/plain/sync")
    force_token(request, jwks_issuer.access_token(["api1"], sub="hank"))
    response = plain_sync(request)
    assert (response.status_code, json.loads(response.content)["sub"]) == (200, "hank")
