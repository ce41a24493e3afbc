"""Fixtures for the authorization tests: the test views and extra identity providers."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey


@pytest.fixture(autouse=True)
def _authz_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.authz.urls"


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


def challenge_params(header: str) -> dict[str, str]:
    """The parameters of a ``Bearer`` challenge (values are quoted, without commas)."""
    assert header.startswith("Bearer ")
    params = {}
    for part in header[len("Bearer "):].split(", "):
        name, _, value = part.partition("=")
        params[name] = value.strip('"')
    return params
