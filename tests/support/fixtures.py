"""Fixtures shared by several test folders: the scope test views' URLs, extra identity providers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey


@pytest.fixture(autouse=True)
def scope_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.support.scope_urls"


@pytest.fixture
def make_provider() -> Iterator[Callable[..., JWKSProvider]]:
    """``make_provider(issuer=None, *keys, **jwk_options)``: another loopback provider."""
    started: list[JWKSProvider] = []

    def make(issuer: str | None = None, *keys: SigningKey, **jwk_options: Any) -> JWKSProvider:
        server = JWKSProvider(issuer=issuer)
        if keys:
            server.set_keys(*keys, **jwk_options)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
