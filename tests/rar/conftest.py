"""Fixtures of the RFC 9396 tests: the endpoints' URLs."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _rar_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.support.rar_views"
