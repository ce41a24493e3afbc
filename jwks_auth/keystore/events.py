"""What the key store tells operators: log lines, signals and the last error.

Nothing here carries a token or a kid (kids are hashed by the caller).
The last fetch error is kept here and in the shared cache, so that
``jwks_inspect`` in another process can show it.
"""
from __future__ import annotations

import logging

from jwks_auth import signals
from jwks_auth.keystore.namespace import Namespace, Slot
from jwks_auth.keystore.snapshot import Snapshot
from jwks_auth.numbers import is_finite_number

logger = logging.getLogger("jwks_auth.keystore")


class Events:
    """Logs and signals of one store; signals are sent by ``sender`` (the ``KeyStore`` class)."""

    def __init__(self, issuer: str, sender: type, namespace: Namespace, *, stale_log_interval: float,
                 error_ttl: int) -> None:
        self.issuer = issuer
        self._sender = sender
        self._namespace = namespace
        self._stale_log_interval = stale_log_interval
        self._error_ttl = error_ttl
        self._next_stale_log = 0.0
        self._last_error: tuple[str, float] | None = None

    def fetched(self, uri: str, key_count: int, duration: float) -> None:
        logger.info("Fetched %d signing key(s) for %s from %s", key_count, self.issuer, uri)
        signals.jwks_fetched.send(
            sender=self._sender, issuer=self.issuer, uri=uri, key_count=key_count, duration=duration
        )

    def fetch_failed(self, uri: str, error: str, now: float) -> None:
        self._last_error = (error, now)
        self._namespace.set(Slot.ERROR, {"error": error, "at": now}, self._error_ttl)
        logger.warning("Fetching signing keys for %s failed: %s", self.issuer, error)
        signals.jwks_fetch_failed.send(sender=self._sender, issuer=self.issuer, uri=uri, error=error)

    def stale(self, snapshot: Snapshot, now: float) -> None:
        """Stale keys are in use: said at most once per interval."""
        if now < self._next_stale_log:
            return
        self._next_stale_log = now + self._stale_log_interval
        age = now - snapshot.fetched_at
        logger.warning(
            "Serving stale signing keys for %s (fetched %.0f s ago; soft lifetime %.0f s, served until %.0f s)",
            self.issuer, age, snapshot.soft_expiry - snapshot.fetched_at, snapshot.hard_expiry - snapshot.fetched_at,
        )
        signals.stale_keys_served.send(sender=self._sender, issuer=self.issuer, age=age)

    def unknown_kid(self, kid_hash: str, *, fetched: bool) -> None:
        signals.unknown_kid.send(sender=self._sender, issuer=self.issuer, kid_hash=kid_hash, fetched=fetched)

    def last_error(self) -> tuple[str, float] | None:
        """The latest fetch error, of this process or of any worker."""
        shared = self._namespace.get(Slot.ERROR)
        errors = [self._last_error]
        if isinstance(shared, dict) and isinstance(shared.get("error"), str) and is_finite_number(shared.get("at")):
            errors.append((shared["error"], float(shared["at"])))
        known = [error for error in errors if error is not None]
        return max(known, key=lambda item: item[1]) if known else None

    def reset(self) -> None:
        self._last_error = None
