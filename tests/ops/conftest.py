from __future__ import annotations

from typing import Any, Iterator

import pytest

from jwks_auth.ops.readiness import forget_loads


@pytest.fixture(autouse=True)
def ops_urls(settings: Any) -> Iterator[None]:
    settings.ROOT_URLCONF = "tests.ops.urls"
    forget_loads()
    yield
    forget_loads()
