"""Fixtures of the step-up tests: the step-up endpoints' URLs, and tokens with an authentication context."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _step_up_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.support.step_up_views"


@pytest.fixture
def authenticated(make_token: Callable[..., str]) -> Callable[..., str]:
    """``authenticated(acr=..., ago=seconds, **claims)``: a token whose user logged in ``ago`` seconds ago."""

    def make(acr: Any = "urn:mfa", ago: float | None = 10, **claims: Any) -> str:
        auth_time = None if ago is None else int(time.time() - ago)
        return make_token(acr=acr, auth_time=auth_time, **claims)

    return make
