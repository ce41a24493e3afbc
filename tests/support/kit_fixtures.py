"""``jwks_config`` and ``make_token`` taken from the testing kit, for the folders and modules that import them.

Imported into a conftest (or a test module), they replace the loopback provider's fixtures of
tests/conftest.py with the kit's (``kit_config``, ``kit_token``): the issuer is impersonated in process, since
what such tests check is what the views do with a valid token, not how the keys travel.
"""

from typing import Any

import pytest


@pytest.fixture
def jwks_config(kit_config: Any) -> Any:
    """The kit's preset (tests/conftest.py: kit_config)."""
    return kit_config


@pytest.fixture
def make_token(kit_token: Any) -> Any:
    """The kit's tokens (tests/conftest.py: kit_token)."""
    return kit_token
