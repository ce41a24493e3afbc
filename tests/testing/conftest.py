"""The kit's tests: a project configured for an https issuer that does not exist, and every front door."""

from __future__ import annotations

from typing import Any

import pytest

ISSUER = "https://login.example.test/tenant-1/v2.0"
AUDIENCE = "orders-api"


@pytest.fixture(autouse=True)
def project_settings(settings: Any) -> None:
    """What a project would have: set before jwks_issuer starts (autouse fixtures come first)."""
    settings.ROOT_URLCONF = "tests.asgi_app.urls"
    settings.ME_REQUIRED_SCOPES = ["api1"]
    settings.JWKS_AUTH = {"ISSUER": ISSUER, "AUDIENCE": [AUDIENCE, "other-api"], "RESOURCE_SCOPES": ["api1"]}


@pytest.fixture
def client() -> Any:
    """pytest-django's own ``client`` (the library's conftest.py has a DRF one on a loopback provider)."""
    from django.test import Client

    return Client()
