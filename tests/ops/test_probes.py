"""/livez and /readyz against a real provider on loopback."""

from __future__ import annotations

import time

from tests.support.jwks_server import JWKSProvider
from tests.support.threads import refuse_threads


def test_livez_answers_without_looking_at_the_provider(client, provider):
    provider.stop()
    response = client.get("/livez")
    assert response.status_code == 200 and response.json() == {"status": "alive"}
    assert response["Cache-Control"] == "no-store"
    assert provider.jwks_hits == 0


def test_readyz_loads_the_keys_and_answers_200(client, provider):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert body["issuers"][provider.issuer]["ready"] is True
    assert body["issuers"][provider.issuer]["keys"] == 1
    assert body["issuers"][provider.issuer]["stale"] is False
    assert provider.jwks_hits == 1
    client.get("/readyz")
    assert provider.jwks_hits == 1  # the cached set answers the next probe


def test_readyz_is_503_when_the_provider_is_down_and_nothing_is_cached(client, provider):
    provider.failure = 503
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["issuers"][provider.issuer] == {"ready": False, "keys": 0, "reason": "keys_unavailable"}
    assert "openid-configuration" not in response.content.decode()  # no fetch URL or error text
    assert "HTTP" not in response.content.decode()


def test_readyz_keeps_serving_cached_keys_through_an_outage(client, provider):
    assert client.get("/readyz").status_code == 200
    provider.stop()
    assert client.get("/readyz").status_code == 200


def test_a_slow_provider_makes_readyz_answer_loading_within_its_deadline(client, provider, jwks_config, monkeypatch):
    monkeypatch.setattr("jwks_auth.ops.views.readyz_timeout", 0.3)
    provider.delay = 2.0
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 1.8  # answered before the provider did
    assert response.status_code == 503
    assert response.json()["issuers"][provider.issuer]["reason"] == "loading"
    # The load goes on in the background; a later probe waits for that same load.
    provider.delay = 0.0
    monkeypatch.setattr("jwks_auth.ops.views.readyz_timeout", 5.0)
    deadline = time.monotonic() + 10
    while (response := client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert response.status_code == 200
    assert provider.jwks_hits == 1


def test_readyz_names_each_issuer(client, provider, signing_key, jwks_config):
    down = JWKSProvider()
    down.failure = 500
    try:
        jwks_config(ISSUER=None, ISSUERS=[provider.issuer, down.issuer])
        response = client.get("/readyz")
        assert response.status_code == 503
        issuers = response.json()["issuers"]
        assert issuers[provider.issuer]["ready"] is True
        assert issuers[down.issuer]["ready"] is False
    finally:
        down.stop()


def test_a_key_set_without_usable_keys_is_not_ready(client, provider):
    provider.set_jwks({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["issuers"][provider.issuer]["reason"] == "keys_unavailable"


def test_no_issuer_configured_is_not_ready(client, settings):
    settings.JWKS_AUTH = {}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "no_issuer", "issuers": {}}


def test_readyz_refuses_other_methods(client, provider):
    assert client.post("/readyz").status_code == 405
    assert client.post("/livez").status_code == 405


def test_no_thread_for_the_load_is_not_ready_then_ready(client, provider, monkeypatch):
    refuse_threads(monkeypatch, "jwks-ready-")
    response = client.get("/readyz")
    assert response.status_code == 503  # not a 500
    assert response.json()["issuers"][provider.issuer]["reason"] == "error"
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200
