"""The pytest plugin of ``jwks_auth.testing`` (the ``pytest11`` entry point ``jwks_auth``).

Its fixtures exist only where pytest-django is active (it configures Django
from ``DJANGO_SETTINGS_MODULE``); elsewhere the plugin does nothing. It
imports nothing of jwks_auth before a fixture is used, so loading it never
touches Django's settings.

* ``jwks_issuer``: a ``FakeIssuer`` for the first issuer of ``JWKS_AUTH``, or
  for the one named by ``@pytest.mark.jwks_issuer("https://...")``;
* ``jwks_issuer_for``: ``jwks_issuer_for("https://...")`` for any other of
  ``ISSUERS``, within the same test.

Every test that uses one of them has jwks_auth's state to itself: its own
cache namespace, the settings-derived objects rebuilt before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from jwks_auth.testing.issuer import FakeIssuer

MARKER = "jwks_issuer"


class Fixtures:
    """Registered as a plugin by ``pytest_configure`` when pytest-django is there."""

    @pytest.fixture
    def _jwks_auth_isolation(self, settings: Any) -> Iterator[None]:
        from jwks_auth.testing.isolation import Isolation

        with Isolation(settings):
            yield

    @pytest.fixture
    def jwks_issuer_for(self, _jwks_auth_isolation: None) -> Iterator[Callable[[str | None], FakeIssuer]]:
        from jwks_auth.testing.issuer import FakeIssuer

        started: dict[str | None, FakeIssuer] = {}

        def start(issuer: str | None = None) -> FakeIssuer:
            if issuer not in started:
                started[issuer] = FakeIssuer(issuer, isolate=False).start()
            return started[issuer]

        yield start
        for fake in reversed(started.values()):
            fake.stop()

    @pytest.fixture
    def jwks_issuer(self, request: pytest.FixtureRequest, jwks_issuer_for: Callable[[str | None], Any]) -> Any:
        marker = request.node.get_closest_marker(MARKER)
        return jwks_issuer_for(marker.args[0] if marker and marker.args else None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(issuer): the issuer of JWKS_AUTH the jwks_issuer fixture impersonates (jwks_auth.testing)"
    )
    manager = config.pluginmanager
    # "django" when loaded by its entry point, the module's name when by ``-p pytest_django.plugin``.
    if manager.hasplugin("django") or manager.hasplugin("pytest_django.plugin"):
        manager.register(Fixtures(), "jwks_auth.testing.fixtures")


__all__ = ["Fixtures", "pytest_configure"]
