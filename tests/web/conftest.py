"""The shared fixtures: the scope views' URLs (autouse) and ``make_provider``."""

from tests.support.fixtures import make_provider, scope_urls  # noqa: F401
