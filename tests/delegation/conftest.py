"""Fixtures of the RFC 8693 tests: the testing kit's issuer (tokens are what is tested, not key transport)."""

from tests.support.fixtures import scope_urls  # noqa: F401, E402
from tests.support.kit_fixtures import jwks_config, make_token  # noqa: F401
