"""Prometheus metrics recorded through the real request cycle and served at /metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import bearer
from tests.ops.scrape import forged as forge
from tests.ops.scrape import scrape, value
from tests.support.loopback import free_port
from tests.support.processes import REPO


def test_accepted_and_rejected_tokens_are_counted_with_their_reason(client, provider, make_token):
    issuer = provider.issuer
    before = scrape(client)
    token = make_token()
    assert client.get("/claims", **bearer(token)).status_code == 200
    assert client.get("/claims", **bearer(token)).status_code == 200
    forged = forge(token)
    assert client.get("/claims", **bearer(forged)).status_code == 401
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, labels) - value(before, name, labels)

    assert delta("jwks_auth_tokens_total", issuer=issuer, result="accepted", reason="") == 2
    assert delta("jwks_auth_tokens_total", issuer="", result="rejected", reason="signature") == 1
    assert delta("jwks_auth_jwks_fetches_total", issuer=issuer, outcome="ok") == 1
    assert delta("jwks_auth_validation_seconds_count") == 3
    assert delta("jwks_auth_validation_seconds_bucket", le="10.0") == 3
    assert delta("jwks_auth_validation_seconds_bucket", le="+Inf") == 3
    assert delta("jwks_auth_validation_seconds_sum") > 0
    assert delta("jwks_auth_token_cache_lookups_total", result="hit") == 1
    assert delta("jwks_auth_token_cache_lookups_total", result="miss") == 2
    assert value(after, "jwks_auth_keys", {"issuer": issuer}) == 1
    assert 0 <= value(after, "jwks_auth_keys_age_seconds", {"issuer": issuer}) < 60
    assert token not in after and forged not in after


def test_a_refused_token_never_brings_its_own_issuer_into_the_labels(client, provider, make_token):
    token = make_token(iss="https://attacker.example/" + "x" * 40)
    assert client.get("/claims", **bearer(token)).status_code == 401
    text = scrape(client)
    assert "attacker.example" not in text
    assert value(text, "jwks_auth_tokens_total", {"issuer": "", "result": "rejected", "reason": "issuer"}) >= 1


def test_provider_failures_and_outages_are_counted(client, provider, make_token):
    provider.failure = 500
    before = scrape(client)
    response = client.get("/claims", **bearer(make_token()))
    assert response.status_code == 503
    after = scrape(client)
    issuer = provider.issuer
    assert (
        value(after, "jwks_auth_jwks_fetches_total", {"issuer": issuer, "outcome": "error"})
        - value(before, "jwks_auth_jwks_fetches_total", {"issuer": issuer, "outcome": "error"})
        == 1
    )
    labels = {"issuer": "", "result": "unavailable", "reason": "keys_unavailable"}
    assert value(after, "jwks_auth_tokens_total", labels) - value(before, "jwks_auth_tokens_total", labels) == 1


def test_metrics_off_records_nothing(client, provider, make_token, jwks_config):
    jwks_config(METRICS=False)
    labels = {"issuer": provider.issuer, "result": "accepted", "reason": ""}
    before = value(scrape(client), "jwks_auth_tokens_total", labels)
    assert client.get("/claims", **bearer(make_token())).status_code == 200
    assert value(scrape(client), "jwks_auth_tokens_total", labels) == before


def _fresh_interpreter(provider, token, *, preamble="", caches=None, env=None):
    """/claims with ``token`` (twice) then /metrics, in a new interpreter configured from scratch."""
    caches = caches or {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    script = f"""
import json, sys
{preamble}
import django
from django.conf import settings
settings.configure(
    DEBUG=False, ALLOWED_HOSTS=["testserver"], ROOT_URLCONF="tests.ops.urls", SECRET_KEY="x" * 50,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "jwks_auth"],
    CACHES={caches!r}, DATABASES={{}}, JWKS_AUTH={{"ISSUER": {provider.issuer!r}, "AUDIENCE": ["api1"]}},
)
django.setup()
from django.test import Client
client = Client()
claims = [client.get("/claims", HTTP_AUTHORIZATION="Bearer " + {token!r}).status_code for _ in range(2)]
metrics = client.get("/metrics")
print(json.dumps([claims, metrics.status_code, metrics.content.decode()]))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_without_prometheus_client_tokens_still_work_and_metrics_answer_501(provider, make_token):
    """``import prometheus_client`` fails, as without the extra."""
    claims, status, body = _fresh_interpreter(
        provider, make_token(), preamble='sys.modules["prometheus_client"] = None  # ImportError, as when absent'
    )
    assert claims == [200, 200]
    assert status == 501 and "prometheus-client is not installed" in body


@pytest.mark.slow
def test_an_unwritable_multiprocess_directory_never_fails_a_request(provider, make_token, tmp_path):
    """PROMETHEUS_MULTIPROC_DIR names no directory: key fetches and a dead shared cache still record
    nothing that can fail a request; only /metrics says it cannot answer (503)."""
    dead_redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    claims, status, body = _fresh_interpreter(
        provider, make_token(), caches=dead_redis, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "missing")}
    )
    assert claims == [200, 200]  # the fetch and the cache failures were counted without touching the files
    assert status == 503 and body == "metrics unavailable\n"


_NO_FLUSH_THREAD = """
import threading
_start = threading.Thread.start
def _refuse(thread):  # as tests/support/threads.py, in the fresh interpreter
    if thread.name.startswith("jwks-metrics-flush"):
        raise RuntimeError("can't start new thread")
    _start(thread)
threading.Thread.start = _refuse
"""


@pytest.mark.slow
def test_no_thread_for_multiprocess_flushing_never_fails_a_request(provider, make_token, tmp_path):
    """The flush thread cannot start: requests are answered, and this worker's scrape still counts them."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    claims, status, body = _fresh_interpreter(
        provider, make_token(), preamble=_NO_FLUSH_THREAD, env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    )
    assert claims == [200, 200]
    assert status == 200
    assert value(body, "jwks_auth_tokens_total", {"issuer": provider.issuer, "result": "accepted", "reason": ""}) == 2
