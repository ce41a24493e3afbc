"""The shared fixtures: the scope views' URLs (autouse) and ``make_provider``.

Here ``jwks_config`` and ``make_token`` are the testing kit's: the issuer is impersonated in process by
``jwks_issuer``, since what is tested is what the views do with a valid token, not how the keys travel.
"""

from tests.support.fixtures import make_provider, scope_urls  # noqa: F401
from tests.support.kit_fixtures import jwks_config, make_token  # noqa: F401
