"""Per-test isolation of jwks_auth's state: a cache namespace of the test's own, settings-derived objects rebuilt.

Every entry jwks_auth writes to the shared cache (keys, discovered URLs,
fetch pauses, unknown-kid cooldowns, DPoP replay records) is under
``CACHE_KEY_PREFIX``; giving each test a prefix of its own hides every earlier
test's entries, whatever the cache backend (a Redis shared by parallel test
workers included), without clearing anything the project keeps there. The
settings change also runs the reset hooks: the validator, its verified-token
cache, the key stores and the DPoP machinery are rebuilt for the test.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.test import override_settings

from jwks_auth.conf.settings import DEFAULTS, jwks_settings


def own_namespace(jwks_auth: dict[str, Any]) -> dict[str, Any]:
    """``jwks_auth`` (a ``JWKS_AUTH``) with a cache key prefix no other test uses."""
    prefix = str(jwks_auth.get("CACHE_KEY_PREFIX") or DEFAULTS["CACHE_KEY_PREFIX"])
    return {**jwks_auth, "CACHE_KEY_PREFIX": f"{prefix}:test-{uuid.uuid4().hex[:16]}"}


class Isolation:
    """The project's ``JWKS_AUTH`` unchanged but for its cache namespace, for as long as it is entered.

    ``settings`` is pytest-django's ``settings`` fixture when there is one, so
    that the change is undone in order with the test's own setting changes.
    """

    def __init__(self, settings: Any = None) -> None:
        self._settings = settings
        self._override: override_settings | None = None
        self.prefix: str | None = None

    def __enter__(self) -> Isolation:
        isolated = own_namespace(dict(getattr(django_settings, "JWKS_AUTH", None) or {}))
        self.prefix = isolated["CACHE_KEY_PREFIX"]
        setting_changed.connect(self._keep_namespace)
        if self._settings is not None:
            self._settings.JWKS_AUTH = isolated  # pytest-django undoes it after the test
        else:
            self._override = override_settings(JWKS_AUTH=isolated)
            self._override.enable()
        jwks_settings.reload()
        return self

    def _keep_namespace(self, *, setting: str, value: Any, **kwargs: Any) -> None:
        """A test that sets a whole new ``JWKS_AUTH`` keeps the test's cache namespace.

        Runs after jwks_auth's own receiver has reloaded the settings, before anything reads them.
        """
        if setting == "JWKS_AUTH" and isinstance(value, dict) and value.get("CACHE_KEY_PREFIX") != self.prefix:
            jwks_settings.read_instead({**value, "CACHE_KEY_PREFIX": self.prefix})

    def __exit__(self, *exc_info: object) -> None:
        setting_changed.disconnect(self._keep_namespace)
        if self._override is not None:
            self._override.disable()
            self._override = None
        jwks_settings.reload()


__all__ = ["Isolation", "own_namespace"]
