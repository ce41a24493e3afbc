"""Fixtures: real keys, real signed tokens and a real JWKS server on loopback.

Settings presets follow django-oauth-toolkit's style: ``jwks_config`` applies
the single-issuer preset pointing at the test provider, and takes overrides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from jwks_auth.conf.settings import jwks_settings
from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.tokens import access_claims, mint

AUDIENCE = "api1"


def pytest_configure(config: pytest.Config) -> None:
    """The kit's plugin (jwks_issuer): installed from the wheel by its pytest11 entry point, from the
    source tree registered here."""
    if config.pluginmanager.get_plugin("jwks_auth") is None:
        from jwks_auth.testing import pytest_plugin

        config.pluginmanager.register(pytest_plugin, "jwks_auth")


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.rsa(kid="rsa-key-1", x5c=True, fresh=True)


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    # Fresh, like signing_key: a pooled key could be signing_key itself, and a forgery then verifies.
    return SigningKey.rsa(kid="rsa-key-2", fresh=True)


@pytest.fixture
def provider(signing_key: SigningKey) -> Iterator[JWKSProvider]:
    server = JWKSProvider()
    server.set_keys(signing_key)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_state(settings: Any) -> Iterator[None]:
    """Each test starts with empty caches and settings-derived objects rebuilt."""
    caches["default"].clear()
    jwks_settings.reload()
    yield
    caches["default"].clear()
    jwks_settings.reload()


@pytest.fixture
def jwks_config(settings: Any, provider: JWKSProvider) -> Callable[..., dict[str, Any]]:
    """Apply the single-issuer preset for ``provider``; keyword arguments override it."""

    def apply(**overrides: Any) -> dict[str, Any]:
        config = {
            "ISSUER": provider.issuer,
            "AUDIENCE": [AUDIENCE],
            "RESOURCE_METADATA": {"SCOPES": ["api1"]},
            "RESOURCE": "http://testserver",
        }
        config.update(overrides)
        settings.JWKS_AUTH = config
        return config

    apply()
    return apply


@pytest.fixture
def make_token(provider: JWKSProvider, signing_key: SigningKey) -> Callable[..., str]:
    """A valid RFC 9068 token for the test provider; claims and header can be changed."""

    def make(
        key: SigningKey | None = None,
        header: Any = None,
        typ: str | None = "at+jwt",
        alg: str | None = None,
        **claims: Any,
    ) -> str:
        payload = access_claims(provider.issuer, **claims)
        return mint(key or signing_key, payload, header=header, typ=typ, alg=alg)

    return make


@pytest.fixture
def token(make_token: Callable[..., str]) -> str:
    return make_token()


@pytest.fixture
def client(jwks_config: Any) -> APIClient:
    return APIClient()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


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
