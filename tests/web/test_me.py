"""The DRF authentication class in a real request cycle against /me."""

from __future__ import annotations

import pytest

from tests.conftest import bearer

pytestmark = pytest.mark.django_db(databases=[])


def test_hello_is_public(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.data == "Hello"


def test_me_returns_the_claims_of_a_valid_token(client, token, provider):
    response = client.get("/me", **bearer(token))
    assert response.status_code == 200, response.content
    assert response.json()["sub"] == "88421113"
    assert response.json()["iss"] == provider.issuer
    assert provider.discovery_hits == 1 and provider.jwks_hits == 1


def test_keys_are_fetched_once_for_many_requests(client, make_token, provider):
    for _ in range(20):
        assert client.get("/me", **bearer(make_token())).status_code == 200
    assert provider.jwks_hits == 1


def test_no_token_is_401_with_the_bearer_challenge(client):
    response = client.get("/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')
    assert "error=" not in response["WWW-Authenticate"]


def test_tampered_token_is_invalid_token(client, token):
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    response = client.get("/me", **bearer(tampered))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert tampered not in response.content.decode()


def test_missing_scope_is_403_insufficient_scope(client, make_token):
    response = client.get("/me", **bearer(make_token(scope="other")))
    assert response.status_code == 403
    challenge = response["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="api1"' in challenge


def test_provider_down_with_cold_cache_is_503(client, token, provider):
    provider.stop()
    response = client.get("/me", **bearer(token))
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1


def test_misconfigured_introspection_is_503_not_500(jwks_config, client, token, caplog):
    jwks_config(INTROSPECTION={"ENDPOINT": "https://idp.example/introspect", "AUTH_METHOD": "magic"})
    response = client.get("/me", **bearer(token))
    assert response.status_code == 503
    assert "misconfigured" in caplog.text and token not in caplog.text
