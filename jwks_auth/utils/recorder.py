"""Where the key store and the request layer hand their counts: the one way they reach the metrics.

The lower layers call ``get_recorder()`` and never import ``jwks_auth.ops``;
``jwks_auth.ops.metrics`` installs its provider when Django loads the app
(``apps.ready``). Until then, and without it, nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable


class NullRecorder:
    """Records nothing: the recorder before ``jwks_auth.ops`` installs one, without prometheus-client, or with
    ``METRICS`` off."""

    enabled = False

    def token(self, issuer: str | None, result: str, reason: str, seconds: float) -> None:
        """One token looked at: ``result`` is accepted, rejected or unavailable."""

    def fetch(self, issuer: str, ok: bool) -> None:
        """A discovery or JWKS fetch ended."""

    def stale_served(self, issuer: str) -> None:
        """Keys past their soft lifetime were used."""

    def cache_error(self) -> None:
        """A call to the shared Django cache failed."""


_NULL = NullRecorder()


def _nothing() -> NullRecorder:
    return _NULL


_provider: Callable[[], NullRecorder] = _nothing
#: What ``_provider`` answered, kept until ``forget()``: every request asks, and the answer changes only with
#: the settings (the provider's owner calls ``forget`` then).
_current: NullRecorder | None = None


def get_recorder() -> NullRecorder:
    """The recorder in force: the installed provider's, else one that records nothing."""
    global _current
    current = _current
    if current is None:
        current = _current = _provider()
    return current


def install(provider: Callable[[], NullRecorder]) -> None:
    """Make ``provider`` the source of ``get_recorder()``; its answer is kept until ``forget()``."""
    global _provider
    _provider = provider
    forget()


def forget() -> None:
    """Ask the provider again on the next ``get_recorder()`` (its answer may have changed: new settings)."""
    global _current
    _current = None
