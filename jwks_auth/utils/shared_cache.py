"""Calls to the shared Django cache that never fail a request.

The cache (``CACHE_ALIAS``) is an optimisation: when its backend is down,
or a value cannot be decoded, a call returns its fallback and the failure
is logged, at most once per ``log_interval`` seconds for each user of it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import BaseCache, caches
from django.core.signals import setting_changed

from jwks_auth import signals
from jwks_auth.utils import replicated

logger = logging.getLogger("jwks_auth.utils.shared_cache")

T = TypeVar("T")


#: Bumped when ``CACHES`` changes: every thread's kept backend is then looked up again.
_generation = 0


def _caches_changed(*, setting: str, **kwargs: Any) -> None:
    global _generation
    if setting == "CACHES":
        _generation += 1


setting_changed.connect(_caches_changed)


class SharedCache:
    """``caches[alias]``, with failures made soft.

    The backend is kept per thread. Django's ``caches[alias]`` goes through asgiref's context-local storage, which
    costs as much as a LocMem ``add`` (a DPoP proof's replay check pays it on every request); one backend per
    thread is what that lookup returns to sync code anyway, and on an event loop's thread the calls that share
    it never interleave (they are synchronous). A change of ``CACHES`` makes every thread look it up again.
    """

    def __init__(self, alias: str, log_interval: float = 10.0) -> None:
        self.alias = alias
        self.log_interval = log_interval
        self._next_log = 0.0
        self._replica_count = replicated.ReplicaCount()
        self._local = threading.local()

    def backend(self) -> BaseCache:
        """``caches[alias]``, looked up once per thread (and again after a change of ``CACHES``)."""
        local = self._local
        kept: tuple[int, BaseCache] | None = getattr(local, "kept", None)
        if kept is not None and kept[0] == _generation:
            return kept[1]
        cache = caches[self.alias]
        local.kept = (_generation, cache)
        return cache

    def get(self, key: str) -> object:
        """The stored value; ``None`` when absent or when the cache fails."""
        return self._soft(lambda cache: cache.get(key), None)

    def set(self, key: str, value: object, timeout: int | None) -> None:
        self._soft(lambda cache: cache.set(key, value, timeout), None)

    def add(self, key: str, value: object, timeout: int | None) -> bool | None:
        """True if stored, False if the key was already there, None if the cache failed."""
        return self._soft(lambda cache: bool(cache.add(key, value, timeout)), None)

    def add_replicated(self, key: str, timeout: int, replicas: int, wait_ms: int) -> bool | None:
        """``add``, held by ``replicas`` replicas of a Redis primary before it counts as stored.

        True if stored and acknowledged, False if the key was already there, None if the cache failed or too few
        replicas acknowledged within ``wait_ms`` (a failover could lose the key). ``replicas`` is capped at the
        replicas the primary has connected (a replica that is gone cannot acknowledge). A cache that is not Redis,
        or a primary without replicas, is a plain ``add`` (``jwks_auth.utils.replicated``).
        """

        def call(cache: BaseCache) -> bool | None:
            # One cache lookup for the whole call: caches[alias] costs as much as a LocMem add.
            client = replicated.redis_client(cache) if replicas > 0 else None
            # Never more than the primary has: waiting for a replica that is not connected costs the whole
            # wait_ms and then refuses, so losing one replica of two would refuse every proof.
            needed = 0 if client is None else min(replicas, self._replica_count.of(client))
            if needed == 0:
                return bool(cache.add(key, 1, timeout))
            stored, acknowledged = replicated.add_acknowledged(client, cache.make_key(key), timeout, needed, wait_ms)
            if not stored:
                return False
            if acknowledged < needed:
                self._replica_count.forget()  # a replica may have gone: ask again next time
                signals.cache_failed.send(sender=SharedCache, error="ReplicaAcknowledgementTimeout")
                return None
            return True

        return self._soft(call, None)

    def delete(self, key: str) -> None:
        self._soft(lambda cache: cache.delete(key), None)

    def get_many(self, keys: list[str]) -> dict[str, object] | None:
        """The stored values of ``keys`` that are present; ``None`` (not ``{}``) when the cache fails."""
        return self._soft(lambda cache: cache.get_many(keys), None)

    def set_many(self, values: dict[str, object], timeout: int | None) -> bool:
        """True if stored, False if the cache failed."""
        return self._soft(lambda cache: not cache.set_many(values, timeout), False)

    def increment(self, key: str, start: int, timeout: int | None) -> int | None:
        """The value of ``key`` after adding one, atomically; a missing key starts at ``start``. None on failure."""

        def bump(cache: BaseCache) -> int | None:
            for _ in range(2):  # the key may expire between add and incr: once more
                cache.add(key, start, timeout)
                try:
                    return int(cache.incr(key))
                except ValueError:
                    continue
            return None

        return self._soft(bump, None)

    def _soft(self, call: Callable[[BaseCache], T], fallback: T) -> T:
        try:
            return call(self.backend())
        except Exception as exc:  # a down backend or an undecodable value must not fail requests
            signals.cache_failed.send(sender=SharedCache, error=type(exc).__name__)
            now = time.monotonic()
            if now >= self._next_log:
                self._next_log = now + self.log_interval
                logger.warning("Cache %r unavailable (%s); going on without it", self.alias, type(exc).__name__)
            return fallback
