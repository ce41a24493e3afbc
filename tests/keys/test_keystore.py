"""The two-tier key store, in process: real provider, real tokens, real cache backends.

Another worker process is played by a second ``KeyStore`` over the same
cache (``new_worker``); the provider counts fetches.
"""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.cache import caches

from jwks_auth.exceptions import FetchError, KeysUnavailable, UnknownKey
from jwks_auth.keys import store as keystore_module
from jwks_auth.keys.jwks import KeySet
from jwks_auth.keys.store.namespace import Slot
from tests.conftest import bearer
from tests.keys.conftest import BlockingRoute, wait_until
from tests.support.keys import SigningKey
from tests.support.processes import free_port
from tests.support.threads import refuse_threads

pytestmark = pytest.mark.django_db(databases=[])


def me(client: Any, token: str) -> Any:
    return client.get("/me", **bearer(token))


def with_kid(make_token: Any, kid: str, key: SigningKey | None = None) -> str:
    return make_token(key=key, header={"alg": "RS256", "kid": kid, "typ": "at+jwt"})


class ParseCounter:
    """Counts KeySet.from_document calls (the real method still runs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = KeySet.from_document.__func__  # type: ignore[attr-defined]

        def counting(cls: type[KeySet], document: Any) -> KeySet:
            self.calls += 1
            return original(cls, document)

        monkeypatch.setattr(KeySet, "from_document", classmethod(counting))


# -- two tiers ---------------------------------------------------------------------------
def test_warm_requests_make_no_cache_call_and_parse_no_key(client, make_token, provider, counting_cache, monkeypatch):
    assert me(client, make_token()).status_code == 200
    parses = ParseCounter(monkeypatch)
    counting_cache.reset()
    for _ in range(25):
        assert me(client, make_token()).status_code == 200  # a new token each time: no token-cache shortcut
    assert counting_cache.total() == 0
    assert parses.calls == 0
    assert provider.jwks_hits == 1


def test_the_local_copy_rereads_the_shared_entry_after_local_ttl(
    client, make_token, provider, jwks_config, counting_cache, monkeypatch
):
    jwks_config(LOCAL_TTL=0)
    assert me(client, make_token()).status_code == 200
    parses = ParseCounter(monkeypatch)
    counting_cache.reset()
    for _ in range(10):
        assert me(client, make_token()).status_code == 200
    # One read of the shared entry per request, and the same set is not parsed again.
    assert counting_cache.calls == {"get": 10}
    assert parses.calls == 0 and provider.jwks_hits == 1


def test_another_worker_uses_the_shared_entry_without_fetching(store, new_worker, provider, signing_key):
    store().get_key(signing_key.kid, "RS256")
    other = new_worker()
    key, _ = other.get_key(signing_key.kid, "RS256")
    assert key.kid == signing_key.kid
    assert other.status()["local"]["source"] == "shared cache"
    assert provider.jwks_hits == 1 and provider.discovery_hits == 1


# -- freshness -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cache_control", "expected"),
    [
        (None, 600),  # JWKS_DEFAULT_TTL
        ("public, max-age=120", 120),
        ("max-age=5", 60),  # raised to JWKS_MIN_TTL
        ("max-age=9999999", 86400),  # lowered to JWKS_MAX_TTL
        ("no-store", 60),
        ("no-cache, max-age=3000", 60),
    ],
)
def test_soft_lifetime_honours_max_age_within_bounds(store, provider, signing_key, cache_control, expected):
    if cache_control:
        provider.jwks_headers["Cache-Control"] = cache_control
    snapshot = store().snapshot()
    assert snapshot.soft_expiry - snapshot.fetched_at == pytest.approx(expected)
    assert snapshot.hard_expiry - snapshot.fetched_at == pytest.approx(86400)  # JWKS_STALE_TTL


def test_a_stale_set_is_served_while_the_provider_is_down_and_that_is_logged(
    client, make_token, provider, jwks_config, signal_log, all_logs, new_worker
):
    jwks_config(JWKS_MIN_TTL=1, JWKS_RETRY_INTERVAL=1)
    provider.jwks_headers["Cache-Control"] = "max-age=1"
    assert me(client, make_token()).status_code == 200
    provider.stop()
    time.sleep(1.1)  # past the soft lifetime
    for _ in range(5):
        assert me(client, make_token()).status_code == 200
    assert signal_log.wait_for("jwks_fetch_failed")  # the background refresh failed ...
    assert signal_log.of("stale_keys_served")[0]["age"] >= 1
    assert any("Serving stale signing keys" in r.getMessage() for r in all_logs.records)
    assert any("Fetching signing keys" in r.getMessage() and "failed" in r.getMessage() for r in all_logs.records)
    # ... and never removed the good set from the shared cache: a new worker still gets it.
    assert new_worker().snapshot().keyset.keys
    assert me(client, make_token()).status_code == 200


@pytest.mark.parametrize("failure", [503, 302, "reset", "not json", "[]", {"keys": []}, "private-only"])
def test_a_failed_fetch_never_removes_a_good_set(store, new_worker, provider, signing_key, failure):
    good = store().snapshot()
    if isinstance(failure, int):
        provider.failure = failure
    elif failure == "reset":
        provider.failure = "reset"
    elif failure == "private-only":
        jwk = signing_key.public_jwk()
        jwk["d"] = jwk["n"]
        provider.set_jwks({"keys": [jwk]})
    else:
        provider.set_jwks(failure.encode() if isinstance(failure, str) else failure)
    with pytest.raises(FetchError):
        store().refresh()
    assert store().snapshot() is good
    assert store().status()["last_error"]
    assert new_worker().snapshot().fetched_at == good.fetched_at  # still in the shared cache
    assert store().get_key(signing_key.kid, "RS256")[0].kid == signing_key.kid


def test_past_the_hard_limit_with_the_provider_down_is_503(client, make_token, provider, jwks_config):
    jwks_config(JWKS_MIN_TTL=1, JWKS_STALE_TTL=1.5, JWKS_RETRY_INTERVAL=1)
    provider.jwks_headers["Cache-Control"] = "max-age=1"
    assert me(client, make_token()).status_code == 200
    provider.stop()
    time.sleep(1.6)
    response = me(client, make_token())
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1


# -- refresh ahead ------------------------------------------------------------------------------
def test_refresh_ahead_fetches_once_while_every_request_goes_on(
    client, make_token, provider, jwks_config, store, signal_log
):
    jwks_config(JWKS_MIN_TTL=1, JWKS_REFRESH_AHEAD=1, HTTP_TIMEOUT=[2, 20])
    provider.jwks_headers["Cache-Control"] = "max-age=2"
    assert me(client, make_token()).status_code == 200
    first = store().snapshot()
    time.sleep(max(0.0, first.refresh_at - time.time()) + 0.05)  # inside the refresh window
    blocked = BlockingRoute(provider)
    tokens = [make_token() for _ in range(24)]
    try:
        assert me(client, make_token()).status_code == 200  # this one starts the refresh ...
        assert blocked.entered.wait(10)  # ... which is now held at the provider
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda t: me(client, t).status_code, tokens))
        # Every request was answered while the refresh was still held at the provider.
        assert blocked.entered.is_set() and not blocked.released.is_set()
        assert statuses == [200] * len(tokens)
    finally:
        blocked.release()
    assert signal_log.wait_for("jwks_fetched", 2)
    assert wait_until(lambda: store().snapshot().fetched_at > first.fetched_at)
    assert provider.jwks_hits == 2  # the first fetch and exactly one refresh


def test_no_thread_for_the_refresh_leaves_requests_served_and_the_refresh_for_later(
    client, make_token, provider, jwks_config, store, monkeypatch
):
    jwks_config(JWKS_MIN_TTL=1, JWKS_REFRESH_AHEAD=1)
    provider.jwks_headers["Cache-Control"] = "max-age=2"
    assert me(client, make_token()).status_code == 200
    first = store().snapshot()
    time.sleep(max(0.0, first.refresh_at - time.time()) + 0.05)  # inside the refresh window
    refused = refuse_threads(monkeypatch, "jwks-refresh-")
    assert me(client, make_token()).status_code == 200  # the refresh could not start: the set in hand serves
    assert refused and provider.jwks_hits == 1
    monkeypatch.undo()
    # Nothing is left held (the process lock, the shared fetch lock): a later request refreshes.
    assert wait_until(
        lambda: me(client, make_token()).status_code == 200 and store().snapshot().fetched_at > first.fetched_at,
        timeout=10,
    )
    assert provider.jwks_hits == 2


# -- one fetch at a time ------------------------------------------------------------------------
def test_concurrent_cold_start_in_one_process_fetches_once(client, make_token, provider):
    provider.delay = 0.3
    tokens = [make_token() for _ in range(16)]
    barrier = threading.Barrier(len(tokens))

    def call(token: str) -> int:
        barrier.wait(10)
        return me(client, token).status_code

    with ThreadPoolExecutor(len(tokens)) as pool:
        assert list(pool.map(call, tokens)) == [200] * len(tokens)
    assert provider.jwks_hits == 1 and provider.discovery_hits == 1


def test_concurrent_cold_start_of_several_workers_fetches_once(new_worker, provider, signing_key):
    provider.delay = 0.3
    workers = [new_worker() for _ in range(6)]
    barrier = threading.Barrier(len(workers))

    def cold(worker: Any) -> str:
        barrier.wait(10)
        return worker.get_key(signing_key.kid, "RS256")[0].kid

    with ThreadPoolExecutor(len(workers)) as pool:
        assert list(pool.map(cold, workers)) == [signing_key.kid] * len(workers)
    assert provider.jwks_hits == 1
    assert sorted(w.status()["local"]["source"] for w in workers) == ["fetch"] + ["shared cache"] * 5


def test_waiting_workers_get_503_when_the_lock_holder_fails(new_worker, provider, signing_key):
    provider.delay = 0.3
    provider.failure = 503
    workers = [new_worker() for _ in range(4)]
    barrier = threading.Barrier(len(workers))

    def cold(worker: Any) -> int:
        barrier.wait(10)
        try:
            worker.get_key(signing_key.kid, "RS256")
        except KeysUnavailable as exc:
            return exc.retry_after
        return 0

    with ThreadPoolExecutor(len(workers)) as pool:
        retry_afters = list(pool.map(cold, workers))
    assert all(r >= 1 for r in retry_afters)
    assert sum(provider.hits.values()) == 1  # the others did not fetch during the pause after the failure


def test_the_fetch_lock_has_an_expiry_and_a_dead_holder_is_taken_over(new_worker, provider, signing_key, jwks_config):
    jwks_config(HTTP_TIMEOUT=[0.2, 0.2])  # a fetch lock lives ceil(4 * 0.4) + 2 = 4 s
    dead = new_worker()
    caches["default"].add(dead.namespace.key(Slot.LOCK), "a worker that died while fetching", 1)
    worker = new_worker()
    assert worker.get_key(signing_key.kid, "RS256")[0].kid == signing_key.kid
    assert provider.jwks_hits == 1
    assert caches["default"].get(dead.namespace.key(Slot.LOCK)) is None  # released after the fetch


def test_a_lock_that_never_expires_does_not_block_forever(new_worker, provider, signing_key, jwks_config):
    jwks_config(HTTP_TIMEOUT=[0.1, 0.1])  # waits at most ceil(4 * 0.2) + 2 = 3 s
    worker = new_worker()
    caches["default"].set(worker.namespace.key(Slot.LOCK), "garbage without expiry", None)
    assert worker.get_key(signing_key.kid, "RS256")[0].kid == signing_key.kid
    assert provider.jwks_hits == 1


# -- unknown kid -------------------------------------------------------------------------------
def test_an_unknown_kid_refetches_once_then_cools_down(client, make_token, provider, signal_log):
    assert me(client, make_token()).status_code == 200
    assert me(client, with_kid(make_token, "unknown-1")).status_code == 401
    assert provider.jwks_hits == 2
    for n in range(2, 12):
        response = me(client, with_kid(make_token, f"unknown-{n}"))
        assert response.status_code == 401
        assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert provider.jwks_hits == 2
    fetched = [event["fetched"] for event in signal_log.of("unknown_kid")]
    assert fetched == [True] + [False] * 10
    assert me(client, make_token()).status_code == 200


def test_the_cooldown_is_configurable(client, make_token, provider, jwks_config):
    jwks_config(UNKNOWN_KID_COOLDOWN=1)
    assert me(client, with_kid(make_token, "unknown-a")).status_code == 401
    assert me(client, with_kid(make_token, "unknown-b")).status_code == 401
    assert provider.jwks_hits == 2  # cold fetch + one refetch
    time.sleep(1.1)
    assert me(client, with_kid(make_token, "unknown-c")).status_code == 401
    assert provider.jwks_hits == 3


def test_the_cooldown_is_shared_across_workers(new_worker, provider, signing_key):
    first, second = new_worker(), new_worker()
    first.snapshot()
    second.snapshot()
    with pytest.raises(UnknownKey):
        first.get_key("unknown-x", "RS256")
    assert provider.jwks_hits == 2
    with pytest.raises(UnknownKey):
        second.get_key("unknown-y", "RS256")
    assert provider.jwks_hits == 2


def test_a_missing_kid_is_remembered_without_any_cache_call(client, make_token, provider, counting_cache):
    token = with_kid(make_token, "missing-kid")
    assert me(client, token).status_code == 401
    counting_cache.reset()
    for _ in range(10):
        assert me(client, with_kid(make_token, "missing-kid")).status_code == 401
    assert counting_cache.total() == 0
    assert provider.jwks_hits == 2


def test_a_kid_known_for_another_algorithm_fetches_nothing(client, make_token, provider, jwks_config, signing_key):
    jwks_config(ALGORITHMS=["RS256", "PS256"])
    assert me(client, make_token()).status_code == 200
    token = make_token(alg="PS256")  # the JWK says alg RS256
    assert me(client, token).status_code == 401
    assert provider.jwks_hits == 1


def test_a_flood_of_random_kids_fetches_once_per_window_and_valid_tokens_pass(client, make_token, provider):
    assert me(client, make_token()).status_code == 200
    forged = [with_kid(make_token, f"random-{n}") for n in range(300)]
    valid = [make_token() for _ in range(60)]
    mixed = [t for pair in zip(forged[::5], valid, strict=True) for t in pair] + forged
    with ThreadPoolExecutor(8) as pool:
        statuses = dict(zip(mixed, pool.map(lambda t: me(client, t).status_code, mixed), strict=True))
    assert {statuses[t] for t in forged} == {401}
    assert {statuses[t] for t in valid} == {200}
    assert provider.jwks_hits == 2  # one refetch in the (default 30 s) cooldown window


# -- rotation -----------------------------------------------------------------------------------
def test_a_newly_published_key_is_accepted_on_its_first_request(client, make_token, provider, signing_key, other_key):
    assert me(client, make_token()).status_code == 200
    provider.set_keys(signing_key, other_key)
    assert me(client, make_token(key=other_key)).status_code == 200
    assert provider.jwks_hits == 2


def test_concurrent_first_requests_with_a_new_key_all_pass_in_every_worker(
    new_worker, provider, signing_key, other_key
):
    workers = [new_worker() for _ in range(4)]
    for worker in workers:
        worker.snapshot()
    provider.set_keys(signing_key, other_key)
    provider.delay = 0.2
    calls = [w for w in workers for _ in range(4)]
    barrier = threading.Barrier(len(calls))

    def first(worker: Any) -> str:
        barrier.wait(10)
        return worker.get_key(other_key.kid, "RS256")[0].kid

    with ThreadPoolExecutor(len(calls)) as pool:
        assert list(pool.map(first, calls)) == [other_key.kid] * len(calls)
    assert provider.jwks_hits == 2


def test_a_removed_key_stops_being_accepted_once_the_set_is_refreshed(client, make_token, provider, store, other_key):
    old_token = make_token()
    assert me(client, old_token).status_code == 200
    provider.set_keys(other_key)
    assert me(client, old_token).status_code == 200  # the current set is still fresh
    store().refresh()
    response = me(client, old_token)  # the same token, cached as verified, is checked again
    assert response.status_code == 401
    assert me(client, make_token()).status_code == 401
    assert me(client, make_token(key=other_key)).status_code == 200


def test_a_removed_key_is_refused_after_the_soft_lifetime(
    client, make_token, provider, jwks_config, other_key, signal_log
):
    jwks_config(JWKS_MIN_TTL=1, JWKS_REFRESH_AHEAD=0.5, LOCAL_TTL=0)
    provider.jwks_headers["Cache-Control"] = "max-age=1"
    old_token = make_token()
    assert me(client, old_token).status_code == 200
    provider.set_keys(other_key)
    time.sleep(1.1)
    me(client, make_token(key=other_key))  # due for refresh: the background refresh starts
    assert signal_log.wait_for("jwks_fetched", 2)
    assert me(client, old_token).status_code == 401


# -- provider problems vs bad tokens -------------------------------------------------------------
def test_provider_down_and_nothing_cached_is_503_with_retry_after(client, make_token, provider, signal_log):
    provider.stop()
    response = me(client, make_token())
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert signal_log.of("jwks_fetch_failed")
    assert not signal_log.of("token_rejected")


def test_unknown_kid_in_a_fresh_set_is_401_even_with_the_provider_down(client, make_token, provider):
    assert me(client, make_token()).status_code == 200
    provider.stop()
    response = me(client, with_kid(make_token, "new-or-forged"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_unknown_kid_in_a_stale_set_with_the_provider_down_is_503(client, make_token, provider, jwks_config):
    jwks_config(JWKS_MIN_TTL=1)
    provider.jwks_headers["Cache-Control"] = "max-age=1"
    assert me(client, make_token()).status_code == 200
    provider.stop()
    time.sleep(1.1)
    response = me(client, with_kid(make_token, "new-or-forged"))
    assert response.status_code == 503  # it may be a key published since: cannot tell
    assert int(response["Retry-After"]) >= 1
    assert me(client, make_token()).status_code == 200  # known kids still work from the stale set


# -- cache keys and garbage ----------------------------------------------------------------------
def test_cache_keys_are_a_fixed_prefix_and_a_hash(client, make_token, provider, counting_cache, store):
    long_kid = "k" * 500
    assert me(client, make_token()).status_code == 200
    assert me(client, with_kid(make_token, long_kid)).status_code == 401
    provider.failure = 503
    with pytest.raises(FetchError):
        store().refresh()
    store().status()
    store().clear()
    assert counting_cache.keys
    for key in counting_cache.keys:
        assert re.fullmatch(r"jwks_auth:[0-9a-f]{32}:[a-z0-9:-]+", key), key
        assert len(key) < 100
        assert "kkkk" not in key and provider.issuer not in key


GARBAGE = [
    "a string",
    42,
    None.__class__,
    [],
    {},
    {"v": 2},
    b"\x80\x81",
    {"v": 2, "jwks": "not json", "uri": "x", "fetched_at": 1, "soft": 2, "hard": 9e99},
    {"v": 2, "jwks": json.dumps({"keys": []}), "uri": "x", "fetched_at": 1, "soft": 2, "hard": 9e99},
    {"v": 2, "jwks": json.dumps({"keys": "no"}), "uri": "x", "fetched_at": 1, "soft": 2, "hard": 9e99},
    {"v": 2, "jwks": {"keys": []}, "uri": "x", "fetched_at": 1, "soft": 2, "hard": 9e99},
    {"v": 2, "jwks": "[" * 100000, "uri": "x", "fetched_at": 1, "soft": 2, "hard": 9e99},
    {
        "v": 2,
        "jwks": json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "rsa-key-1"}]}),
        "uri": "x",
        "fetched_at": 1,
        "soft": 2,
        "hard": 9e99,
    },
    {"v": 2, "jwks": "{}", "uri": "x", "fetched_at": float("nan"), "soft": 2, "hard": 3},
    {"v": 2, "jwks": "{}", "uri": "x", "fetched_at": 1, "soft": float("inf"), "hard": float("inf")},
    {"v": 2, "jwks": "{}", "uri": "x", "fetched_at": 5, "soft": 2, "hard": 9e99},
    {"v": 2, "jwks": "{}", "uri": "x", "fetched_at": "1", "soft": "2", "hard": "9e99"},
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=[f"garbage{n}" for n in range(len(GARBAGE))])
def test_garbage_in_the_cached_entry_leads_to_a_refetch(client, make_token, provider, store, garbage):
    entry_key = store().namespace.key(Slot.ENTRY)
    caches["default"].set(entry_key, garbage, 600)
    assert me(client, make_token()).status_code == 200
    assert provider.jwks_hits == 1
    assert caches["default"].get(entry_key)["v"] == keystore_module.ENTRY_VERSION


def test_a_forged_entry_with_an_attacker_key_under_another_version_is_not_read(client, make_token, provider, store):
    attacker = SigningKey.rsa(kid="rsa-key-1", fresh=True)
    old_format = {
        "v": 1,
        "jwks": json.dumps({"keys": [attacker.public_jwk()]}),
        "uri": "x",
        "fetched_at": time.time(),
        "soft": time.time() + 600,
        "hard": time.time() + 900,
    }
    caches["default"].set(store().namespace.key(Slot.ENTRY).replace(":v2", ""), old_format, 600)
    caches["default"].set(store().namespace.key(Slot.ENTRY), {**old_format, "v": 99}, 600)
    assert me(client, make_token(key=attacker)).status_code == 401
    assert me(client, make_token()).status_code == 200


@pytest.mark.parametrize("value", ["ftp://elsewhere/jwks", "not a url", 42, {"a": 1}, ""])
def test_garbage_in_the_cached_discovery_entry_is_discovered_again(client, make_token, provider, store, value):
    caches["default"].set(store().namespace.key(Slot.DISCOVERY), value, 600)
    assert me(client, make_token()).status_code == 200
    assert provider.discovery_hits == 1


def test_a_jwks_url_that_fails_is_discovered_again_next_time(client, make_token, provider, store, jwks_config):
    jwks_config(JWKS_RETRY_INTERVAL=0.2)
    caches["default"].set(store().namespace.key(Slot.DISCOVERY), provider.base_url + "/moved/jwks", 600)
    assert me(client, make_token()).status_code == 503
    time.sleep(0.3)
    assert me(client, make_token()).status_code == 200
    assert provider.discovery_hits == 1 and provider.jwks_hits == 1


@pytest.mark.parametrize("value", [{"until": 9e99, "error": "x"}, {"until": "soon"}, "garbage", [1]])
def test_garbage_in_the_failure_entry_does_not_stop_fetching(client, make_token, provider, store, value):
    caches["default"].set(store().namespace.key(Slot.FAILURE), value, 600)
    assert me(client, make_token()).status_code == 200


@pytest.mark.parametrize("value", ["1", 9e99, -5, None.__class__])
def test_garbage_in_the_cooldown_entry_does_not_stop_refetching(
    client, make_token, provider, store, signing_key, other_key, value
):
    assert me(client, make_token()).status_code == 200
    caches["default"].set(store().namespace.key(Slot.COOLDOWN), value, None)
    provider.set_keys(signing_key, other_key)
    assert me(client, make_token(key=other_key)).status_code == 200
    assert provider.jwks_hits == 2


# -- the cache backend down ------------------------------------------------------------------------
def test_with_no_reachable_cache_requests_work_by_fetching_directly(client, make_token, provider, settings, all_logs):
    original = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    try:
        for _ in range(5):
            assert me(client, make_token()).status_code == 200
        assert provider.jwks_hits == 1  # then served from the per-process copy
        assert any("Cache 'default' unavailable" in r.getMessage() for r in all_logs.records)
    finally:
        settings.CACHES = original


@pytest.mark.redis
def test_redis_stopped_mid_run(
    client, make_token, provider, redis_cache, jwks_config, new_worker, signing_key, all_logs
):
    jwks_config(LOCAL_TTL=0, HTTP_TIMEOUT=[0.5, 1])
    assert me(client, make_token()).status_code == 200

    # The entry in Redis: a fixed prefix plus a hash, with an expiry.
    redis = redis_cache.client()
    names = sorted(k.decode() for k in redis.keys("*"))
    assert names and all(re.fullmatch(r":1:jwks_auth:[0-9a-f]{32}:[a-z0-9:-]+", n) for n in names)
    assert all(redis.ttl(n) > 0 for n in names)

    redis_cache.stop()
    for _ in range(5):
        assert me(client, make_token()).status_code == 200  # from the per-process copy
    cold = new_worker()  # a worker started while Redis is down fetches directly
    assert cold.get_key(signing_key.kid, "RS256")[0].kid == signing_key.kid
    assert provider.jwks_hits == 2
    assert any("Cache 'default' unavailable" in r.getMessage() for r in all_logs.records)

    redis_cache.start()
    assert me(client, make_token()).status_code == 200


@pytest.mark.redis
def test_the_fetch_lock_in_redis_expires(redis_cache, new_worker, provider, signing_key):
    worker = new_worker()
    provider.delay = 0.5
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(worker.get_key(signing_key.kid, "RS256")))
    thread.start()
    redis = redis_cache.client()
    lock_name = f":1:{worker.namespace.key(Slot.LOCK)}"
    assert wait_until(lambda: redis.exists(lock_name), 5)
    ttl = redis.ttl(lock_name)
    thread.join(10)
    assert 0 < ttl <= worker.settings.lock_timeout
    assert results and not redis.exists(lock_name)


@pytest.mark.redis
def test_garbage_bytes_in_redis_lead_to_a_refetch(client, make_token, provider, redis_cache, store):
    redis = redis_cache.client()
    redis.set(f":1:{store().namespace.key(Slot.ENTRY)}", b"\x80\x04not a pickle")
    redis.set(f":1:{store().namespace.key(Slot.DISCOVERY)}", b"\x00\x01")
    assert me(client, make_token()).status_code == 200
    assert provider.jwks_hits == 1


# -- observability ------------------------------------------------------------------------------
def test_signals_say_what_happened(client, make_token, provider, signal_log, store):
    assert me(client, make_token()).status_code == 200
    fetched = signal_log.of("jwks_fetched")
    assert fetched and fetched[0]["issuer"] == provider.issuer and fetched[0]["key_count"] == 1
    assert fetched[0]["uri"] == provider.jwks_uri and fetched[0]["duration"] >= 0

    me(client, with_kid(make_token, "no-such-kid"))
    me(client, make_token(exp=int(time.time()) - 3600))
    header, payload, signature = make_token().split(".")
    me(client, f"{header}.{payload}.{signature[:-6]}AAAAAA")
    me(client, "not-a-jwt")
    reasons = [event["reason"] for event in signal_log.of("token_rejected")]
    assert reasons == ["unknown_kid", "expired", "signature", "malformed"]
    unknown = signal_log.of("unknown_kid")[0]
    assert unknown["kid_hash"] == keystore_module.short_hash("no-such-kid") and "no-such-kid" not in str(unknown)

    provider.failure = 500
    with pytest.raises(FetchError):
        store().refresh()
    failed = signal_log.of("jwks_fetch_failed")
    assert failed and "500" in failed[0]["error"]


def test_no_log_line_contains_a_token(client, make_token, provider, all_logs, jwks_config, other_key):
    jwks_config(JWKS_MIN_TTL=1, JWKS_RETRY_INTERVAL=0.1, UNKNOWN_KID_COOLDOWN=1)
    provider.jwks_headers["Cache-Control"] = "max-age=1"
    tokens = [
        make_token(),
        with_kid(make_token, "unknown-kid-1"),
        make_token(key=other_key),
        make_token(exp=int(time.time()) - 3600),
        make_token(aud="other"),
        make_token(scope="none"),
    ]
    header, payload, signature = make_token().split(".")
    tokens.append(f"{header}.{payload}.{signature[:-4]}AAAA")
    for token in tokens:
        me(client, token)
    provider.stop()
    time.sleep(1.1)
    for token in tokens:
        me(client, token)
    me(client, with_kid(make_token, "unknown-kid-2"))
    assert all_logs.records
    text = "\n".join(r.getMessage() + repr(r.args) + str(r.exc_info) for r in all_logs.records)
    for token in tokens:
        for segment in token.split("."):
            assert segment not in text


def test_no_input_causes_a_500(client, make_token, provider):
    odd = [
        "",
        "a.b.c",
        "..",
        "Bearer",
        "x" * 20000,
        "é.é.é",
        make_token() + ".",
        make_token(header={"alg": "RS256"}),
        make_token(header={"alg": "RS256", "kid": 5}),
        make_token(header={"alg": "RS256", "kid": "\ud800"}),
        make_token(header={"alg": "RS256", "kid": "k" * 600}),
        make_token(header={"alg": "none", "kid": "x"}, alg="RS256"),
        make_token(header={"alg": "HS256", "kid": "rsa-key-1"}, alg="RS256"),
    ]
    for value in odd:
        # As a WSGI server hands it over: the header's bytes (UTF-8 here) decoded as latin-1 (PEP 3333).
        header = f"Bearer {value}".encode("utf-8", "surrogatepass").decode("latin-1")
        response = client.get("/me", HTTP_AUTHORIZATION=header)
        assert response.status_code in (400, 401), (value[:40], response.status_code)
