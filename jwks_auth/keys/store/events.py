"""What the key store tells operators: log lines, signals, metrics and the last error.

Every log line carries its facts as ``extra`` fields too (``jwks_event``,
``issuer``, ``kid_hash``, ``jwks_uri``, ``key_count``, ``duration_ms``,
``age_s``, ``error``...), which JSON formatters pick up. Nothing here carries
a token or a kid (kids are hashed). The last fetch error is kept here and in
the shared cache, so that ``jwks_inspect`` in another process can show it.
"""

from __future__ import annotations

import logging

from jwks_auth import signals
from jwks_auth.keys.jwks import KeySet
from jwks_auth.keys.store.namespace import Namespace, Slot, short_hash
from jwks_auth.keys.store.snapshot import Snapshot
from jwks_auth.utils.json_numbers import is_finite_number
from jwks_auth.utils.recorder import get_recorder

logger = logging.getLogger("jwks_auth.keys.store")


class Events:
    """Logs and signals of one store; signals are sent by ``sender`` (the ``KeyStore`` class)."""

    def __init__(
        self, issuer: str, sender: type, namespace: Namespace, *, stale_log_interval: float, error_ttl: int
    ) -> None:
        self.issuer = issuer
        self._sender = sender
        self._namespace = namespace
        self._stale_log_interval = stale_log_interval
        self._error_ttl = error_ttl
        self._next_stale_log = 0.0
        self._last_error: tuple[str, float] | None = None

    def fetched(self, uri: str, keyset: KeySet, duration: float, previous: KeySet | None) -> None:
        """A set was fetched; against the ``previous`` one, each key added or removed is a line of its own."""
        logger.info(
            "Fetched %d signing key(s) for %s from %s in %.0f ms",
            len(keyset),
            self.issuer,
            uri,
            duration * 1000,
            extra=self._extra("fetched", jwks_uri=uri, key_count=len(keyset), duration_ms=round(duration * 1000, 1)),
        )
        if previous is not None:
            self._rotation(previous, keyset)
        signals.jwks_fetched.send(
            sender=self._sender, issuer=self.issuer, uri=uri, key_count=len(keyset), duration=duration
        )

    def _rotation(self, previous: KeySet, current: KeySet) -> None:
        before = {key.thumbprint: key for key in previous.keys}
        after = {key.thumbprint: key for key in current.keys}
        for thumbprint in after.keys() - before.keys():
            kid_hash = short_hash(after[thumbprint].kid)
            logger.info(
                "Signing key added for %s (kid hash %s)",
                self.issuer,
                kid_hash,
                extra=self._extra("key_added", kid_hash=kid_hash),
            )
        for thumbprint in before.keys() - after.keys():
            kid_hash = short_hash(before[thumbprint].kid)
            logger.info(
                "Signing key removed for %s (kid hash %s)",
                self.issuer,
                kid_hash,
                extra=self._extra("key_removed", kid_hash=kid_hash),
            )

    def fetch_failed(self, uri: str, error: str, now: float) -> None:
        self._last_error = (error, now)
        self._namespace.set(Slot.ERROR, {"error": error, "at": now}, self._error_ttl)
        logger.warning(
            "Fetching signing keys for %s failed: %s",
            self.issuer,
            error,
            extra=self._extra("fetch_failed", jwks_uri=uri, error=error),
        )
        signals.jwks_fetch_failed.send(sender=self._sender, issuer=self.issuer, uri=uri, error=error)

    def stale(self, snapshot: Snapshot, now: float) -> None:
        """Stale keys are in use: counted each time, logged and signalled at most once per interval."""
        get_recorder().stale_served(self.issuer)
        if now < self._next_stale_log:
            return
        self._next_stale_log = now + self._stale_log_interval
        age = now - snapshot.fetched_at
        soft, hard = snapshot.soft_expiry - snapshot.fetched_at, snapshot.hard_expiry - snapshot.fetched_at
        logger.warning(
            "Serving stale signing keys for %s (fetched %.0f s ago; soft lifetime %.0f s, served until %.0f s)",
            self.issuer,
            age,
            soft,
            hard,
            extra=self._extra("stale", age_s=round(age, 1), soft_ttl_s=round(soft, 1), hard_ttl_s=round(hard, 1)),
        )
        signals.stale_keys_served.send(sender=self._sender, issuer=self.issuer, age=age)

    def unknown_kid(self, kid_hash: str, *, fetched: bool, cooldown: float) -> None:
        """A token named a kid the set lacks; a refetch for it starts the unknown-kid cooldown."""
        if fetched:
            logger.info(
                "Refetched the keys of %s for an unknown kid (kid hash %s); the next such refetch waits %.0f s",
                self.issuer,
                kid_hash,
                cooldown,
                extra=self._extra("unknown_kid_refetch", kid_hash=kid_hash, cooldown_s=cooldown),
            )
        else:  # one a forged token: at debug level, so a flood of them cannot flood the log
            logger.debug(
                "Unknown kid for %s (kid hash %s)",
                self.issuer,
                kid_hash,
                extra=self._extra("unknown_kid", kid_hash=kid_hash),
            )
        signals.unknown_kid.send(sender=self._sender, issuer=self.issuer, kid_hash=kid_hash, fetched=fetched)

    def _extra(self, event: str, **fields: object) -> dict[str, object]:
        return {"jwks_event": event, "issuer": self.issuer, **fields}

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
