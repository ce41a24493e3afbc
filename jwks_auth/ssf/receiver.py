"""One SET in, its effects recorded once across the fleet: what push and poll share.

In order: verified (``verification``), the fleet-wide rate bound
(``SHARED_SIGNALS["MAX_EVENTS_PER_MINUTE"]``, a counter per minute in the
shared cache), the ``jti`` claimed with ``cache.add`` (atomic in Redis, so of
two deliveries to two hosts one processes it; the other, and any later
redelivery, is accepted with no effect), and the events' records written
(``jwks_auth.validation.revocations``). A step the shared cache cannot do is
``ReceiverUnavailable`` (the ``jti`` is released again, so the transmitter's
retry is processed).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from jwks_auth.conf.settings import FromSettings, jwks_settings
from jwks_auth.ssf.errors import ReceiverUnavailable, SETError, TooManyEvents
from jwks_auth.ssf.events import records
from jwks_auth.ssf.settings import issuer_aliases, transmitters
from jwks_auth.ssf.verification import LEEWAY, TransmitterKeys, verify_set
from jwks_auth.utils.shared_cache import SharedCache
from jwks_auth.validation.revocations import SharedRevocations, get_revocations

logger = logging.getLogger("jwks_auth.ssf")


@dataclass(frozen=True)
class Outcome:
    """What became of an accepted SET: ``processed`` (its effects recorded) or a redelivery (``False``)."""

    jti: str
    processed: bool
    subjects: int


class Receiver:
    """Verifies and applies SETs; one per process per settings (``get_receiver``)."""

    def __init__(
        self,
        keys: Mapping[str, TransmitterKeys],
        revocations: SharedRevocations,
        cache: SharedCache,
        prefix: str,
        aliases: Mapping[str, str],
    ) -> None:
        self.keys = keys
        self.revocations = revocations
        self.cache = cache
        self.prefix = f"{prefix}:ssf"
        self.aliases = aliases
        self.max_per_minute = int(jwks_settings.SHARED_SIGNALS["MAX_EVENTS_PER_MINUTE"])
        self.jti_ttl = int(revocations.state_ttl + 2 * LEEWAY)

    @classmethod
    def from_settings(cls) -> Receiver | None:
        revocations = get_revocations()
        if revocations is None:
            return None
        keys = {issuer: TransmitterKeys(transmitter) for issuer, transmitter in transmitters().items()}
        return cls(
            keys,
            revocations,
            SharedCache(jwks_settings.CACHE_ALIAS),
            jwks_settings.CACHE_KEY_PREFIX,
            issuer_aliases(),
        )

    def receive(self, token: str, authorization: str | None = None, *, pushed: bool = False) -> Outcome:
        """Process one SET; ``SETError`` (400), ``ReceiverUnavailable`` (503) or ``TooManyEvents`` (429)."""
        verified = verify_set(token, self.keys, authorization if pushed else None, pushed=pushed)
        changes = records(verified, self.aliases)  # before anything is written: a bad event changes nothing
        self._count()
        jti_key = self._jti_key(verified.transmitter.issuer, verified.jti)
        claimed = self.cache.add(jti_key, 1, self.jti_ttl)
        if claimed is None:
            raise ReceiverUnavailable("event store unavailable")
        if not claimed:
            logger.info("Shared Signals: SET already processed")
            return Outcome(verified.jti, False, 0)
        if not self.revocations.record(changes):
            self.cache.delete(jti_key)
            raise ReceiverUnavailable("event store unavailable")
        logger.info("Shared Signals: SET processed, %d subject(s)", len(changes))
        return Outcome(verified.jti, True, len(changes))

    def _count(self) -> None:
        minute = int(time.time() // 60)
        count = self.cache.increment(f"{self.prefix}:rate:{minute}", 0, 120)
        if count is None:
            raise ReceiverUnavailable("event store unavailable")
        if count > self.max_per_minute:
            raise TooManyEvents("too many events", retry_after=60 - int(time.time() % 60))

    def _jti_key(self, issuer: str, jti: str) -> str:
        digest = hashlib.sha256(f"{issuer}\x00{jti}".encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self.prefix}:jti:{digest}"


_receiver = FromSettings(lambda: _Holder(Receiver.from_settings()))


@dataclass(frozen=True)
class _Holder:
    receiver: Receiver | None


def get_receiver() -> Receiver | None:
    """The process's receiver; ``None`` when ``SHARED_SIGNALS`` names no transmitter."""
    return _receiver.get().receiver


__all__ = ["Outcome", "Receiver", "SETError", "get_receiver"]
