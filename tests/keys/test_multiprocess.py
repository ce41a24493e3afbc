"""The key store across real worker processes sharing one real Redis.

gunicorn runs ``tests.wsgi:application`` with four sync workers over a
redis-server on a free port; the JWKS comes from a ``JWKSProvider`` in this
process, which counts the fetches. Timings are shortened through
``TEST_JWKS_AUTH`` (tests/settings.py). Each test prints its figures (``-s`` or the
"Captured stdout" of a failure shows them; ``bench/keystore_figures.py``
prints the same figures).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.keys import scenarios

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.timeout(120)]


def _run(name: str, tmp_path: Path) -> scenarios.Figures:
    figures = scenarios.SCENARIOS[name](tmp_path)
    print(scenarios.format_figures(figures))
    return figures


def test_cold_start_under_concurrent_requests_fetches_once(tmp_path: Path) -> None:
    f = _run("cold_start", tmp_path)
    assert f["workers_served"] == f["workers"]  # every worker was cold and got requests during the fetch
    assert f["jwks_fetches"] == 1 and f["discovery_fetches"] == 1
    assert f["failed"] == 0 and f["ok"] == f["requests"]


def test_rotation_is_seen_by_every_worker_after_one_fetch(tmp_path: Path) -> None:
    f = _run("rotation", tmp_path)
    assert f["warm_fetches"] == 1
    # A new key: accepted on the first request at every worker, after one fetch in all.
    assert f["add_workers_accepting_new_key"] == f["workers"]
    assert f["add_failed"] == 0 and f["add_jwks_fetches"] == 1
    assert f["old_key_failed_after_add"] == 0
    # The old key removed: once the set is refreshed (one fetch), every worker refuses it.
    assert f["probe_status"] == 401 and f["remove_jwks_fetches"] == 1
    assert f["workers_refusing_old_key"] == f["workers"] and f["old_key_401"] == f["old_key_requests"]
    assert f["new_key_failed_after_remove"] == 0
    assert f["extra_fetches_after_remove"] == 0 and f["errors_500"] == 0


def test_provider_outage_is_bridged_until_the_hard_limit(tmp_path: Path) -> None:
    f = _run("outage", tmp_path)
    assert f["outage_past_soft_expiry_s"] > 0  # the outage outlasted the soft lifetime
    assert f["requests_during_outage"] > 0 and f["failed_during_outage"] == 0
    assert f["stale_log_lines"] >= 1 and f["failed_fetch_log_lines"] >= 1
    # Past the hard limit nothing is served: 503 with Retry-After, never 500 or 401.
    assert f["after_hard_limit_503"] == f["after_hard_limit_requests"]
    assert f["after_hard_limit_503_without_retry_after"] == 0
    # The provider back: keys again after one fetch.
    assert f["recovered_failed"] == 0 and f["recovery_jwks_fetches"] == 1
    assert f["errors_500"] == 0


def test_unknown_kid_flood_neither_amplifies_nor_blocks(tmp_path: Path) -> None:
    f = _run("kid_flood", tmp_path)
    assert f["forged_requests"] == 1000 and f["forged_401"] == 1000
    assert f["valid_requests"] > 0 and f["valid_failed"] == 0
    assert 1 <= f["jwks_fetches"] <= f["cooldown_windows"]
    assert f["errors_500"] == 0


def test_redis_stopped_mid_run_fails_no_request(tmp_path: Path) -> None:
    f = _run("redis_down", tmp_path)
    assert f["requests"] > 0 and f["errors_500"] == 0 and f["failed"] == 0
    # A worker started while Redis was down served tokens: it fetched the keys directly.
    assert f["workers_started_while_down"] == 1 and f["of_which_served_200_while_down"] == 1
    assert f["jwks_fetches_while_down"] >= 1
    assert f["cache_unavailable_log_lines"] >= 1
