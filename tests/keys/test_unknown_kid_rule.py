"""The 401-or-503 rule for an unknown kid with a stale set, whoever refreshes it.

``KeyStore._unknown_kid`` documents the rule: with a stale set the lookup
refreshes it or waits for the refresh under way, so the answer depends only
on whether a fresh set can be had (401 when it can and lacks the kid, 503
when it cannot), never on whether the request thread or the background
refresh gets there first. Each test plays the three orders: the background
refresh still running when the request comes, already done, or not started.
The process is inside its unknown-kid cooldown (an unknown kid was just
refetched for), and the shared cache is up or unreachable (then no shared
fetch lock tells the request that a refresh is running).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jwks_auth.exceptions import KeysUnavailable, UnknownKey
from tests.keys.conftest import BlockingRoute, wait_until
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db(databases=[])

ORDERS = ["refresh running", "refresh done", "no refresh yet"]
UNAVAILABLE = (503, b'{"error":"unavailable"}', {"Content-Type": "application/json"})


@pytest.fixture(params=["shared cache", "cache down"])
def cache(request: Any, settings: Any, jwks_config: Any) -> Iterator[str]:
    original = settings.CACHES
    if request.param == "cache down":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            }
        }
    yield str(request.param)
    settings.CACHES = original  # the shared teardown clears the cache


@pytest.fixture
def stale_store(cache: str, store: Any, provider: Any, jwks_config: Any, signing_key: Any) -> Any:
    """A store whose set went stale just after an unknown-kid refetch (so its cooldown is on)."""
    jwks_config(JWKS_MIN_TTL=1, JWKS_RETRY_INTERVAL=1, HTTP_TIMEOUT=[2, 20])
    provider.jwks_headers["Cache-Control"] = "max-age=1"
    current = store()
    current.get_key(signing_key.kid, "RS256")
    with pytest.raises(UnknownKey):
        current.get_key("forged-0", "RS256")  # the refetch of this cooldown window
    assert provider.jwks_hits == 2
    time.sleep(1.1)  # past the soft lifetime
    provider.jwks_headers["Cache-Control"] = "max-age=600"  # the refreshed set stays fresh
    return current


def outcome(store: Any, kid: str) -> type[Exception] | str:
    try:
        return store.get_key(kid, "RS256")[0].kid  # type: ignore[no-any-return]
    except (UnknownKey, KeysUnavailable) as exc:
        return type(exc)


def lookup_during_refresh(store: Any, provider: Any, answer: Any = None, kid: str = "forged-1") -> Any:
    """Look the kid up while the background refresh is held at the provider, then let it answer."""
    blocked = BlockingRoute(provider)
    if answer is not None:
        blocked.inner = lambda: answer
    store.snapshot()  # due for refresh: the background refresh starts ...
    assert blocked.entered.wait(10)  # ... and is held at the provider
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(outcome(store, kid)))
    thread.start()
    thread.join(0.5)  # gives a racing lookup time to answer before the refresh does
    blocked.release()
    thread.join(30)
    assert results
    return results[0]


@pytest.mark.parametrize("order", ORDERS)
def test_a_fresh_set_can_be_had_so_an_unknown_kid_is_401(stale_store, provider, order, signal_log):
    if order == "refresh running":
        result = lookup_during_refresh(stale_store, provider)
    else:
        if order == "refresh done":
            before = stale_store.snapshot().fetched_at  # starts the background refresh
            assert signal_log.wait_for("jwks_fetched")
            assert wait_until(lambda: stale_store.status()["local"]["fetched_at"] > before)
        result = outcome(stale_store, "forged-1")
    assert result is UnknownKey
    assert provider.jwks_hits == 3  # one refresh, whoever made it
    if order != "refresh running":  # running: the lookup may start before or after the refresh lands
        assert signal_log.of("unknown_kid")[-1]["fetched"] is (order == "no refresh yet")


@pytest.mark.parametrize("order", ORDERS)
def test_no_fresh_set_can_be_had_so_an_unknown_kid_is_503(stale_store, provider, order, signal_log):
    if order == "refresh running":
        result = lookup_during_refresh(stale_store, provider, answer=UNAVAILABLE)
    else:
        provider.failure = 503
        if order == "refresh done":
            stale_store.snapshot()
            assert signal_log.wait_for("jwks_fetch_failed")
        result = outcome(stale_store, "forged-1")
    assert result is KeysUnavailable
    assert provider.jwks_hits == 3  # one attempt; the pause after it holds every other one back
    assert outcome(stale_store, "rsa-key-1") == "rsa-key-1"  # known kids still work from the stale set


def test_the_kid_in_the_refreshed_set_is_accepted(stale_store, provider, signing_key, other_key):
    provider.set_keys(signing_key, other_key)
    assert lookup_during_refresh(stale_store, provider, kid=other_key.kid) == other_key.kid
    assert provider.jwks_hits == 3
