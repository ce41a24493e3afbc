"""Fixtures for the key store tests (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches

from jwks_auth import signals
from jwks_auth.conf.settings import issuer_configs
from jwks_auth.keys.store import KeyStore
from jwks_auth.validation.validator import get_validator
from tests.support.counting_cache import CountingCache
from tests.support.jwks_server import JWKS_PATH, JWKSProvider
from tests.support.processes import RedisServer

COUNTING_CACHES = {"default": {"BACKEND": "tests.support.counting_cache.CountingCache", "LOCATION": "keystore-tests"}}


@pytest.fixture
def counting_cache(settings: Any, jwks_config: Any) -> type[CountingCache]:
    """CACHES['default'] counts its calls; counters start at zero."""
    settings.CACHES = COUNTING_CACHES
    caches["default"].clear()
    CountingCache.reset()
    return CountingCache


@pytest.fixture
def store(jwks_config: Any) -> Callable[[], KeyStore]:
    """The validator's key store for the test provider (rebuilt after a settings change)."""
    return lambda: get_validator().registry.stores[0]


@pytest.fixture
def new_worker(jwks_config: Any) -> Callable[[], KeyStore]:
    """A fresh KeyStore over the same cache: what another worker process would hold."""
    return lambda: KeyStore(issuer_configs()[0])


class SignalLog:
    NAMES = ("jwks_fetched", "jwks_fetch_failed", "stale_keys_served", "unknown_kid", "token_rejected")

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._receivers = {}
        for name in self.NAMES:

            def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
                kwargs.pop("signal", None)
                self.events.append((_name, kwargs))

            self._receivers[name] = receiver
            getattr(signals, name).connect(receiver, weak=False)

    def of(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for n, kwargs in self.events if n == name]

    def wait_for(self, name: str, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.of(name)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.of(name)

    def disconnect(self) -> None:
        for name, receiver in self._receivers.items():
            getattr(signals, name).disconnect(receiver)


@pytest.fixture
def signal_log() -> Iterator[SignalLog]:
    log = SignalLog()
    yield log
    log.disconnect()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server on a free port, killed at teardown."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(settings: Any, jwks_config: Any, redis_server: RedisServer) -> Iterator[RedisServer]:
    """CACHES['default'] is Django's RedisCache on the test's redis-server, as config/settings.py builds it."""
    original = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield redis_server
    settings.CACHES = original  # before the server stops: the shared teardown clears the cache


class BlockingRoute:
    """Replaces the provider's JWKS route with one that holds each answer until ``release()``."""

    def __init__(self, provider: JWKSProvider) -> None:
        self.provider = provider
        self.inner = provider.routes[JWKS_PATH]
        self.entered = threading.Event()
        self.released = threading.Event()
        provider.routes[JWKS_PATH] = self

    def __call__(self) -> Any:
        self.entered.set()
        self.released.wait(30)
        return self.inner()

    def release(self) -> None:
        self.released.set()
        self.provider.routes[JWKS_PATH] = self.inner


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record of every logger, at DEBUG."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="jwks_auth")
    return caplog


def wait_until(predicate: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
