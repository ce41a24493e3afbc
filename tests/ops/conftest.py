from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jwks_auth.ops.readiness import forget_loads


@pytest.fixture(autouse=True)
def ops_urls(settings: Any) -> Iterator[None]:
    settings.ROOT_URLCONF = "tests.ops.urls"
    forget_loads()
    yield
    forget_loads()
