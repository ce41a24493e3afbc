"""Metrics added up over real gunicorn workers (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.ops.scrape import forged as forge
from tests.ops.scrape import value
from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.processes import Gunicorn, RedisServer, api_env
from tests.support.tokens import access_claims, mint

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.timeout(120)]


def test_every_worker_counts_into_one_scrape(tmp_path: Path, signing_key: SigningKey) -> None:
    provider = JWKSProvider()
    provider.set_keys(signing_key)
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    try:
        with RedisServer(tmp_path / "redis") as redis_server:
            env = api_env(provider.issuer, tmp_path / "var", redis_server.url, {})
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
            with Gunicorn(env, tmp_path, workers=2) as api:
                assert requests.get(api.url + "/readyz", timeout=10).status_code == 200
                valid = mint(signing_key, access_claims(provider.issuer))
                forged = forge(valid)
                mark = len(api.access())
                forged_count = 30
                for _ in range(30):  # a new connection each: the workers share them out
                    assert (
                        requests.get(
                            api.url + "/me", headers={"Authorization": f"Bearer {valid}"}, timeout=10
                        ).status_code
                        == 200
                    )
                    assert (
                        requests.get(
                            api.url + "/me", headers={"Authorization": f"Bearer {forged}"}, timeout=10
                        ).status_code
                        == 401
                    )
                deadline = time.monotonic() + 10
                while len(api.pids("/me", since=mark)) < 2 and time.monotonic() < deadline:
                    assert (
                        requests.get(
                            api.url + "/me", headers={"Authorization": f"Bearer {forged}"}, timeout=10
                        ).status_code
                        == 401
                    )
                    forged_count += 1
                assert len(api.pids("/me", since=mark)) == 2, "both workers must have served tokens"
                # Each worker hands its counts over at least once a second: wait until both kinds are
                # (the last requests were forged ones), then every scrape, whichever worker answers it,
                # tells the same totals.
                accepted = {"issuer": provider.issuer, "result": "accepted", "reason": ""}
                rejected = {"issuer": "", "result": "rejected", "reason": "signature"}
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    text = requests.get(api.url + "/metrics", timeout=10).text
                    if (
                        value(text, "jwks_auth_tokens_total", accepted) >= 30
                        and value(text, "jwks_auth_tokens_total", rejected) >= forged_count
                    ):
                        break
                    time.sleep(0.2)
                # Scrape until both workers have answered at least once: which worker takes a new
                # connection is up to the kernel, so a fixed number of scrapes can all land on one.
                scrape_mark = len(api.access())
                scrapes = [requests.get(api.url + "/metrics", timeout=10) for _ in range(6)]
                deadline = time.monotonic() + 10
                while len(api.pids("/metrics", since=scrape_mark)) < 2 and time.monotonic() < deadline:
                    scrapes.append(requests.get(api.url + "/metrics", timeout=10))
                served_by = api.pids("/metrics", since=scrape_mark)
    finally:
        provider.stop()
    assert len(served_by) == 2  # both workers answered scrapes ...
    for scrape in scrapes:  # ... and each told the same totals
        assert scrape.status_code == 200
        text = scrape.text
        assert value(text, "jwks_auth_tokens_total", accepted) == 30
        assert value(text, "jwks_auth_tokens_total", rejected) == forged_count
        assert value(text, "jwks_auth_jwks_fetches_total", {"issuer": provider.issuer, "outcome": "ok"}) == 1
        assert value(text, "jwks_auth_keys", {"issuer": provider.issuer}) == 1
        assert value(text, "jwks_auth_validation_seconds_count") == 30 + forged_count
        assert value(text, "jwks_auth_validation_seconds_bucket", {"le": "+Inf"}) == 30 + forged_count
        assert valid not in text and forged not in text
