from tests.support.fixtures import make_provider  # noqa: F401
