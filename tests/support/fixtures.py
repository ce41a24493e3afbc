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


#: The issuer the testing kit impersonates in the folders that use it: an https issuer no socket serves.
KIT_ISSUER = "https://idp.example.test"


@pytest.fixture
def kit_config(settings: Any) -> Callable[..., dict[str, Any]]:
    """``jwks_config``'s preset for the kit's fake issuer (jwks_auth.testing); keyword arguments override it."""

    def apply(**overrides: Any) -> dict[str, Any]:
        config = {
            "ISSUER": KIT_ISSUER,
            "AUDIENCE": ["api1"],
            "RESOURCE_SCOPES": ["api1"],
            "RESOURCE": "http://testserver",
            **overrides,
        }
        settings.JWKS_AUTH = config
        return config

    apply()
    return apply


@pytest.fixture
def kit_token(kit_config: Any, jwks_issuer: Any) -> Callable[..., str]:
    """``make_token`` from the kit's fake issuer: scope ``api1`` and bob's ``sub`` unless the claims say otherwise."""

    def make(**claims: Any) -> str:
        return str(jwks_issuer.token(**{"scope": "api1", "sub": "88421113", **claims}))

    return make
