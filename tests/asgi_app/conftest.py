"""Fixtures of the front-door tests: the ASGI test project's URLconf on tests.settings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from tests.support.keys import SigningKey

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _asgi_app_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.asgi_app.urls"


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a fresh event loop (as each ASGI test request would be)."""
    return asyncio.run(coroutine)


@pytest.fixture
def tokens(make_token: Callable[..., str], other_key: SigningKey, signing_key: SigningKey) -> dict[str, str | None]:
    """One token of each kind the doors must answer alike; the value is the Authorization header."""
    now = int(time.time())
    forged = make_token(key=other_key, header={"alg": "RS256", "kid": signing_key.kid, "typ": "at+jwt"})
    return {
        "valid": f"Bearer {make_token()}",
        "expired": f"Bearer {make_token(iat=now - 900, nbf=now - 900, exp=now - 600)}",
        "wrong_signature": f"Bearer {forged}",
        "missing_scope": f"Bearer {make_token(scope='other')}",
        "none": None,
        "malformed_header": f"Bearer {make_token()} extra",
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
