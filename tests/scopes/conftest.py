"""The shared fixtures: the scope views' URLs (autouse) and ``make_provider``.

Here ``jwks_config`` and ``make_token`` are the testing kit's: the issuer is impersonated in process by
``jwks_issuer``, since what is tested is what the views do with a valid token, not how the keys travel.
"""

from typing import Any

import pytest

from tests.support.fixtures import make_provider, scope_urls  # noqa: F401


@pytest.fixture
def jwks_config(kit_config: Any) -> Any:
    """Here the kit's preset (tests/conftest.py: kit_config): the issuer is impersonated in process."""
    return kit_config


@pytest.fixture
def make_token(kit_token: Any) -> Any:
    """Here the kit's tokens (tests/conftest.py: kit_token)."""
    return kit_token
