"""jwks_prefetch, jwks_inspect and jwks_clear against the real provider."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import bearer
from tests.support.jwks_server import JWKSProvider
from tests.support.processes import REPO, api_env, free_port

pytestmark = pytest.mark.django_db(databases=[])


def run(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prefetch_warms_the_cache_so_requests_fetch_nothing(client, make_token, provider, new_worker):
    out, _ = run("jwks_prefetch")
    assert f"{provider.issuer}: cached 1 key(s) from {provider.jwks_uri}" in out and "rsa-key-1" in out
    assert provider.jwks_hits == 1
    assert new_worker().cached() is not None  # in the shared cache
    assert client.get("/me", **bearer(make_token())).status_code == 200
    assert provider.jwks_hits == 1


def test_prefetch_fetches_even_when_the_cache_is_warm(provider, jwks_config):
    run("jwks_prefetch")
    run("jwks_prefetch")
    assert provider.jwks_hits == 2


def test_prefetch_warms_every_issuer_and_fails_when_one_fails(settings, provider, signing_key, jwks_config):
    second = JWKSProvider()
    second.set_keys(signing_key)
    try:
        jwks_config(ISSUER=None, ISSUERS=[provider.issuer, second.issuer])
        out, _ = run("jwks_prefetch")
        assert provider.issuer in out and second.issuer in out
        second.failure = 500
        with pytest.raises(CommandError, match=second.issuer):
            run("jwks_prefetch")
        assert provider.jwks_hits == 2  # the healthy issuer was still fetched
    finally:
        second.stop()


def test_prefetch_exits_non_zero_when_the_provider_is_down(tmp_path):
    down = f"http://127.0.0.1:{free_port()}"
    env = api_env(down, tmp_path / "var", None, {"HTTP_TIMEOUT": [0.5, 0.5]})
    result = subprocess.run(
        [sys.executable, "-m", "django", "jwks_prefetch"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert f"Could not fetch keys for: {down}" in result.stderr


def test_inspect_shows_freshness_and_sources(provider, store):
    run("jwks_prefetch")
    store().snapshot()
    out, _ = run("jwks_inspect")
    assert provider.issuer in out
    assert "shared cache: 1 key(s), fresh" in out
    assert "this process (from " in out
    assert "refresh after" in out and "served until" in out
    assert "kid=rsa-key-1 kty=RSA alg=RS256 size=2048" in out
    assert "certificate CN=test signing key" in out


def test_inspect_json(provider, store, signing_key):
    run("jwks_prefetch")
    report = json.loads(run("jwks_inspect", "--json")[0])
    assert len(report) == 1
    status = report[0]
    assert status["issuer"] == provider.issuer and status["jwks_uri"] == provider.jwks_uri
    shared = status["shared"]
    assert shared["source"] == "shared cache"
    assert status["local"]["source"] == "fetch"  # this process fetched it (jwks_prefetch)
    fetched, soft, hard = (dt.datetime.fromisoformat(shared[k]) for k in ("fetched_at", "soft_expiry", "hard_expiry"))
    assert fetched < soft <= hard and shared["fresh"] is True
    assert (soft - fetched).total_seconds() == pytest.approx(600, abs=1)
    assert status["last_error"] is None
    assert status["keys"][0]["kid"] == signing_key.kid and status["keys"][0]["thumbprint"]


def test_inspect_shows_the_last_error_without_fetching(provider, jwks_config):
    run("jwks_prefetch")
    provider.failure = 503
    with pytest.raises(CommandError):
        run("jwks_prefetch")
    hits = provider.jwks_hits
    status = json.loads(run("jwks_inspect", "--json")[0])[0]
    assert "HTTP 503" in status["last_error"] and status["last_error_at"]
    assert status["shared"]["keys"] == ["rsa-key-1"]  # the good set stayed
    text, _ = run("jwks_inspect")
    assert "last error (" in text and "HTTP 503" in text
    assert provider.jwks_hits == hits


def test_inspect_with_nothing_cached(provider, jwks_config):
    out, _ = run("jwks_inspect")
    assert "shared cache: nothing cached" in out and "this process: nothing cached" in out
    assert provider.jwks_hits == 0


def test_clear_makes_the_next_request_fetch_again(client, make_token, provider, new_worker):
    assert client.get("/me", **bearer(make_token())).status_code == 200
    out, _ = run("jwks_clear")
    assert "cached keys removed" in out
    assert new_worker().cached() is None
    assert client.get("/me", **bearer(make_token())).status_code == 200
    assert provider.jwks_hits == 2


def test_an_unknown_issuer_option_is_an_error(provider, jwks_config):
    with pytest.raises(CommandError, match="No configured issuer"):
        run("jwks_inspect", "--issuer", "https://other.example")
