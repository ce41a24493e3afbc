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


def get_recorder() -> NullRecorder:
    """The recorder in force: the installed provider's, else one that records nothing."""
    return _provider()


def install(provider: Callable[[], NullRecorder]) -> None:
    """Make ``provider`` (a cheap call: it runs on every request) the source of ``get_recorder()``."""
    global _provider
    _provider = provider
