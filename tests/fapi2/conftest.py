"""Fixtures of the FAPI 2.0 tests: the testing kit's issuer under ``SECURITY_PROFILE`` fapi2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import KIT_ISSUER

FAPI2 = {"SECURITY_PROFILE": "fapi2"}


@pytest.fixture
def fapi2_config(kit_config: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``kit_config`` with the issuer under fapi2 (and a certificate header for certificate-bound tokens)."""

    def apply(**overrides: Any) -> dict[str, Any]:
        proxy = {"ADDRESSES": ["127.0.0.1"], "CLIENT_CERT_HEADER": "X-SSL-Client-Cert"}
        return kit_config(**{**FAPI2, "PROXY": proxy, **overrides})

    apply()
    return apply


@pytest.fixture
def issuer(fapi2_config: Any, jwks_issuer: Any) -> Any:
    """The kit's issuer, impersonated for ``KIT_ISSUER`` under fapi2."""
    assert jwks_issuer.issuer == KIT_ISSUER
    return jwks_issuer


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.support.scope_urls"
