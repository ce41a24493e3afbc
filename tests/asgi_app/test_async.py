"""The async path in process: no I/O on the loop when the keys are in memory, one fetch for many coroutines."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import caches
from django.test import AsyncClient

from jwks_auth.exceptions import KeysUnavailable, UnknownKey
from jwks_auth.utils import blocking as offloop
from jwks_auth.validation.validator import get_validator
from tests.asgi_app.conftest import run
from tests.asgi_app.doors import ASYNC_DOORS, Seen
from tests.asgi_app.loop_cache import LoopWatchingCache
from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.threads import refuse_threads


@pytest.fixture
def watched_cache(settings: Any, jwks_config: Any) -> type[LoopWatchingCache]:
    settings.CACHES = {"default": {"BACKEND": "tests.asgi_app.loop_cache.LoopWatchingCache", "LOCATION": "loop"}}
    caches["default"].clear()
    LoopWatchingCache.reset()
    return LoopWatchingCache


def test_concurrent_cold_coroutines_make_one_fetch_off_the_loop(
    watched_cache: type[LoopWatchingCache], provider: JWKSProvider, make_token: Callable[..., str]
) -> None:
    provider.delay = 0.3  # long enough for every coroutine to arrive while the fetch runs
    tokens = [make_token() for _ in range(40)]
    fetch_threads: list[str] = []

    def record(sender: Any, **kwargs: Any) -> None:
        fetch_threads.append(threading.current_thread().name)

    from jwks_auth import signals

    signals.jwks_fetched.connect(record, weak=False)
    try:

        async def all_at_once() -> list[Any]:
            validator = get_validator()
            return await asyncio.gather(*(validator.avalidate(token) for token in tokens))

        results = run(all_at_once())
    finally:
        signals.jwks_fetched.disconnect(record)
    assert [token["sub"] for token in results] == ["88421113"] * 40
    assert provider.jwks_hits == 1 and provider.discovery_hits == 1
    assert len(fetch_threads) == 1 and fetch_threads[0].startswith("jwks-auth-io")
    assert watched_cache.total() > 0 and watched_cache.on_loop == 0  # the cache was used, never from the loop


def test_warm_requests_do_no_io(
    watched_cache: type[LoopWatchingCache], provider: JWKSProvider, make_token: Callable[..., str]
) -> None:
    get_validator().validate(make_token())  # warm: keys in this process
    watched_cache.reset()
    provider.reset_counts()

    async def many() -> None:
        client = AsyncClient()
        for path in ASYNC_DOORS[1:]:  # adrf runs DRF's sync authentication in a thread, by design
            for _ in range(3):
                response = await client.get(path, headers={"Authorization": f"Bearer {make_token()}"})
                assert response.status_code == 200, path
        assert offloop.in_flight() == 0

    run(many())
    assert watched_cache.total() == 0 and provider.jwks_hits == 0


def test_a_new_kid_is_fetched_once_for_concurrent_coroutines(
    watched_cache: type[LoopWatchingCache],
    provider: JWKSProvider,
    make_token: Callable[..., str],
    signing_key: SigningKey,
    other_key: SigningKey,
) -> None:
    get_validator().validate(make_token())
    provider.set_keys(signing_key, other_key)  # a rotation: a key published since
    provider.reset_counts()
    provider.delay = 0.3

    async def new_key() -> list[Any]:
        validator = get_validator()
        return await asyncio.gather(*(validator.avalidate(make_token(key=other_key)) for _ in range(20)))

    assert len(run(new_key())) == 20
    assert provider.jwks_hits == 1 and watched_cache.on_loop == 0


def test_an_unknown_kid_is_refused_without_blocking(
    watched_cache: type[LoopWatchingCache],
    provider: JWKSProvider,
    make_token: Callable[..., str],
    other_key: SigningKey,
) -> None:
    get_validator().validate(make_token())
    provider.reset_counts()

    async def unknown() -> list[Any]:
        validator = get_validator()
        forged = make_token(key=other_key)
        return await asyncio.gather(*(validator.avalidate(forged) for _ in range(10)), return_exceptions=True)

    results = run(unknown())
    assert all(isinstance(result, UnknownKey) for result in results)
    assert provider.jwks_hits == 1 and watched_cache.on_loop == 0  # one refetch for the kid, then refused


def test_provider_down_is_503_with_retry_after_on_every_async_door(
    jwks_config: Any, provider: JWKSProvider, make_token: Callable[..., str]
) -> None:
    provider.failure = 503

    async def ask() -> dict[str, Seen]:
        client = AsyncClient()
        headers = {"Authorization": f"Bearer {make_token()}"}
        return {
            path: Seen.of(r.status_code, r.headers)
            for path in ASYNC_DOORS
            for r in [await client.get(path, headers=headers)]
        }

    seen = run(ask())
    assert {path: (s.status, s.retry_after, s.scheme) for path, s in seen.items()} == {
        path: (503, True, None) for path in ASYNC_DOORS
    }


def test_no_thread_for_the_io_pool_is_503_not_500(
    jwks_config: Any, provider: JWKSProvider, make_token: Callable[..., str], monkeypatch: Any
) -> None:
    monkeypatch.setattr(offloop, "_pool", None)  # a new pool, whose first thread cannot start
    refuse_threads(monkeypatch, "jwks-auth-io")

    async def ask() -> dict[str, int]:
        client = AsyncClient()
        headers = {"Authorization": f"Bearer {make_token()}"}
        return {path: (await client.get(path, headers=headers)).status_code for path in ASYNC_DOORS[1:]}

    assert run(ask()) == {path: 503 for path in ASYNC_DOORS[1:]}  # adrf runs DRF's sync check in its own thread
    monkeypatch.undo()
    assert run(ask()) == {path: 200 for path in ASYNC_DOORS[1:]}


def test_avalidate_raises_keys_unavailable_for_all_waiters(
    jwks_config: Any, provider: JWKSProvider, make_token: Callable[..., str]
) -> None:
    provider.failure = 500

    async def all_at_once() -> list[Any]:
        validator = get_validator()
        return await asyncio.gather(*(validator.avalidate(make_token()) for _ in range(10)), return_exceptions=True)

    results = run(all_at_once())
    assert all(isinstance(result, KeysUnavailable) for result in results)
    assert provider.hits[provider.jwks_uri.removeprefix(provider.base_url)] <= 1  # paused after the failure


def test_any_scopes_needs_one_of_them(jwks_config: Any, make_token: Callable[..., str]) -> None:
    async def ask(scope: str) -> Seen:
        response = await AsyncClient().get("/ninja/any", headers={"Authorization": f"Bearer {make_token(scope=scope)}"})
        return Seen.of(response.status_code, response.headers)

    assert run(ask("admin")).status == 200
    assert run(ask("api1 other")).status == 200
    refused = run(ask("other"))
    assert (refused.status, refused.error, refused.scope) == (403, "insufficient_scope", "admin api1")


def test_all_scopes_are_needed(jwks_config: Any, make_token: Callable[..., str]) -> None:
    async def ask(scope: str) -> Seen:
        headers = {"Authorization": f"Bearer {make_token(scope=scope)}"}
        response = await AsyncClient().get("/ninja/admin", headers=headers)
        return Seen.of(response.status_code, response.headers)

    assert run(ask("api1 admin")).status == 200
    refused = run(ask("api1"))
    assert (refused.status, refused.error, refused.scope) == (403, "insufficient_scope", "admin api1")


def test_request_auth_and_access_token_are_the_access_token(jwks_config: Any, make_token: Callable[..., str]) -> None:
    async def ask(path: str) -> Any:
        response = await AsyncClient().get(path, headers={"Authorization": f"Bearer {make_token(sub='alice')}"})
        return response.json()

    for path in ("/ninja/ame", "/plain/async", "/plain/class-async", "/plain/any-token"):
        assert run(ask(path))["sub"] == "alice", path


def test_a_cancelled_waiter_leaves_the_fetch_to_the_others(
    jwks_config: Any, provider: JWKSProvider, make_token: Callable[..., str]
) -> None:
    provider.delay = 0.3

    async def scenario() -> Any:
        validator = get_validator()
        first = asyncio.ensure_future(validator.avalidate(make_token()))
        second = asyncio.ensure_future(validator.avalidate(make_token()))
        await asyncio.sleep(0.05)
        first.cancel()
        return await second

    assert run(scenario())["sub"] == "88421113"
    assert provider.jwks_hits == 1


def test_a_due_refresh_is_started_off_the_loop(
    watched_cache: type[LoopWatchingCache],
    provider: JWKSProvider,
    make_token: Callable[..., str],
    jwks_config: Any,
    settings: Any,
) -> None:
    jwks_config(JWKS_MIN_TTL=1, JWKS_DEFAULT_TTL=2, JWKS_REFRESH_AHEAD=1)
    settings.CACHES = {"default": {"BACKEND": "tests.asgi_app.loop_cache.LoopWatchingCache", "LOCATION": "loop"}}
    token = make_token()
    get_validator().validate(token)
    time.sleep(1.6)  # past refresh_at (soft expiry less a quarter of the lifetime), before the soft expiry
    watched_cache.reset()

    async def after_refresh_due() -> Any:
        validator = get_validator()
        first = await validator.avalidate(token)
        deadline = time.monotonic() + 10
        while provider.jwks_hits < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # the background refresh
        return first

    assert run(after_refresh_due())["sub"] == "88421113"
    assert provider.jwks_hits == 2 and watched_cache.total() > 0 and watched_cache.on_loop == 0
