"""Nothing a test did with jwks_auth is seen by the next one: keys, verified tokens, replay records, pauses.

The issue's failure: a fresh key per test under the same ``kid`` made later
tests fail with ``invalid signature``, the first key still in the cache.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from jwks_auth.conf.settings import jwks_settings
from jwks_auth.testing import FakeIssuer
from jwks_auth.testing.isolation import Isolation

#: What the previous run of test_one_test_after_another left: its token and its key.
_previous: dict[str, Any] = {}


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.parametrize("run", [1, 2, 3])
def test_one_test_after_another(run: int, client: Client, jwks_issuer: FakeIssuer) -> None:
    """Same kid, new key each test: the key is fetched anew, and the last test's token is not believed."""
    token = jwks_issuer.token(["api1"])
    [jwk] = jwks_issuer.jwks()["keys"]
    assert jwk["kid"] == "test-key-1"
    if _previous:
        assert _previous["jwk"]["n"] != jwk["n"]
        # Signed by the last test's key under this kid: neither its key nor its verified token is still held.
        assert client.get("/me", **bearer(_previous["token"])).status_code == 401
    assert client.get("/me", **bearer(token)).status_code == 200
    assert client.get("/me", **bearer(token)).status_code == 200  # from the verified-token cache
    _previous.update(token=token, jwk=jwk)


def test_without_isolation_the_first_key_would_stay(client: Client) -> None:
    """What the kit prevents, shown: two issuers one after the other, same kid, sharing one state."""
    with FakeIssuer(isolate=False) as first:
        assert client.get("/me", **bearer(first.token(["api1"]))).status_code == 200
    with FakeIssuer(isolate=False) as second:
        response = client.get("/me", **bearer(second.token(["api1"])))
        assert response.status_code == 401
        assert second.jwks_fetches == 0  # the first issuer's key, still cached, judged the token
    with FakeIssuer() as third:
        assert client.get("/me", **bearer(third.token(["api1"]))).status_code == 200


def test_a_failed_fetch_pause_does_not_outlive_the_test(client: Client) -> None:
    with FakeIssuer() as issuer, issuer.down():
        assert client.get("/me", **bearer(issuer.token(["api1"]))).status_code == 503
    with FakeIssuer() as issuer:  # the last test's pause after its failed fetch is not this one's
        assert client.get("/me", **bearer(issuer.token(["api1"]))).status_code == 200


def test_a_dpop_proof_seen_in_one_test_is_unknown_to_the_next(client: Client) -> None:
    """The replay records are per test: the same issuer keys, token and proof, in two isolated states."""
    issuer = FakeIssuer(isolate=False)
    with Isolation(), issuer:
        key = issuer.dpop_key()
        token = key.token(["api1"])
        headers = key.headers("GET", "/me", token)
        assert client.get("/me", headers=headers).status_code == 200
        assert client.get("/me", headers=headers).status_code == 401  # a replay, within the test
    with Isolation(), issuer:
        assert client.get("/me", headers=headers).status_code == 200  # the next test has not seen it


def test_the_project_cache_is_left_alone(client: Client) -> None:
    cache = caches[jwks_settings.CACHE_ALIAS]
    cache.set("project:entry", "kept", 60)
    prefix = jwks_settings.CACHE_KEY_PREFIX
    with FakeIssuer() as issuer:
        assert jwks_settings.CACHE_KEY_PREFIX.startswith(f"{prefix}:test-")
        assert client.get("/me", **bearer(issuer.token(["api1"]))).status_code == 200
    assert jwks_settings.CACHE_KEY_PREFIX == prefix
    assert cache.get("project:entry") == "kept"


def test_a_new_jwks_auth_set_during_the_test_keeps_its_namespace(settings: Any, jwks_issuer: FakeIssuer) -> None:
    isolated = jwks_settings.CACHE_KEY_PREFIX
    assert ":test-" in isolated
    settings.JWKS_AUTH = {"ISSUER": jwks_issuer.issuer, "AUDIENCE": ["orders-api"], "LEEWAY": 0}
    assert jwks_settings.LEEWAY == 0
    assert jwks_settings.CACHE_KEY_PREFIX == isolated
    token = jwks_issuer.token(["api1"])
    assert Client().get("/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
