"""The shared fixtures: ``make_provider``."""

from tests.support.fixtures import make_provider  # noqa: F401
