"""Fixtures of the front-door tests: the ASGI test project's URLconf on tests.settings."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from jwks_auth.testing import FakeIssuer
from jwks_auth.testing.jose import compact_jws, generate_private_key

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _asgi_app_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.asgi_app.urls"


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a fresh event loop (as each ASGI test request would be)."""
    return asyncio.run(coroutine)


#: The test project's issuer for the kit's fake one (jwks_auth.testing): an https issuer that exists nowhere.
KIT_ISSUER = "https://idp.example.test"
#: The seed sample's bob.
SUB = "88421113"


@pytest.fixture
def kit_settings(settings: Any) -> None:
    """This project's JWKS_AUTH, for an issuer the kit's ``jwks_issuer`` impersonates in process."""
    settings.JWKS_AUTH = {
        "ISSUER": KIT_ISSUER,
        "AUDIENCE": ["api1"],
        "RESOURCE_SCOPES": ["api1"],
        "RESOURCE": "http://testserver",
    }


@pytest.fixture
def tokens(kit_settings: None, jwks_issuer: FakeIssuer) -> dict[str, str | None]:
    """One token of each kind the doors must answer alike; the value is the Authorization header."""
    [published] = jwks_issuer.jwks()["keys"]
    # Signed with another key under the issuer's kid.
    header = {"alg": "RS256", "kid": published["kid"], "typ": "at+jwt"}
    forged = compact_jws(header, jwks_issuer.claims(["api1"], sub=SUB), generate_private_key("RS256"))
    return {
        "valid": f"Bearer {jwks_issuer.token(['api1'], sub=SUB)}",
        "expired": f"Bearer {jwks_issuer.token(['api1'], sub=SUB, expires_in=-600)}",
        "wrong_signature": f"Bearer {forged}",
        "missing_scope": f"Bearer {jwks_issuer.token(['other'], sub=SUB)}",
        "none": None,
        "malformed_header": f"Bearer {jwks_issuer.token(['api1'], sub=SUB)} extra",
        "other_scheme": "Basic dXNlcjpwYXNz",
    }


#: What DRF answers for each kind (the reference the other doors are compared with, too).
EXPECTED = {
    "valid": (200, None),
    "expired": (401, "invalid_token"),
    "wrong_signature": (401, "invalid_token"),
    "missing_scope": (403, "insufficient_scope"),
    "none": (401, None),
    "malformed_header": (400, "invalid_request"),
    "other_scheme": (401, None),
}
