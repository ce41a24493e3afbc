"""A per-process LRU of tokens that passed validation.

Keyed by a SHA-256 digest of the token (the token itself is never kept as a
key); an entry lives no longer than the token's ``exp`` and is only used
while the key that verified it is still in its issuer's key set. Only
successful validations are stored.

Each cache counts its hits and misses under the lock it takes anyway; the
metrics collect them with ``take_lookup_counts()`` when they flush, so a
lookup costs no call into the metrics.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jwks_auth.access_token import AccessToken
    from jwks_auth.keys.jwks import KeySet
    from jwks_auth.keys.store import KeyStore


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a call per field, once per new token
class CachedToken:
    token: AccessToken
    expires_at: float
    store: KeyStore
    kid: str
    alg: str
    thumbprint: str
    keyset: KeySet


class VerifiedTokenCache:
    """Bounded, thread-safe LRU; ``maxsize`` 0 disables it."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = max(0, int(maxsize))
        self._entries: OrderedDict[bytes, CachedToken] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = 0
        _caches.add(self)

    def get(self, digest: bytes, now: float) -> CachedToken | None:
        # Every request takes this lock: acquire() and release() cost less than half of a
        # ``with`` block on CPython 3.11, and try/finally costs nothing until it raises.
        lock = self._lock
        lock.acquire()
        try:
            entry = self._entries.get(digest)
            if entry is not None and now < entry.expires_at:
                self._entries.move_to_end(digest)
                self._hits += 1
                return entry
            if entry is not None:
                del self._entries[digest]  # expired
            self._misses += 1
            return None
        finally:
            lock.release()

    def take_counts(self) -> tuple[int, int]:
        """Hits and misses since the last call."""
        with self._lock:
            counts = (self._hits, self._misses)
            self._hits = self._misses = 0
        return counts

    def put(self, digest: bytes, entry: CachedToken) -> None:
        if not self.maxsize:
            return
        entries = self._entries
        with self._lock:
            if digest in entries:
                entries.move_to_end(digest)  # a new key goes in last already
            entries[digest] = entry
            while len(entries) > self.maxsize:
                entries.popitem(last=False)

    def discard(self, digest: bytes) -> None:
        with self._lock:
            self._entries.pop(digest, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_caches: weakref.WeakSet[VerifiedTokenCache] = weakref.WeakSet()


def take_lookup_counts() -> tuple[int, int]:
    """Hits and misses of every live cache in this process since the last call (for the metrics)."""
    hits = misses = 0
    for cache in list(_caches):
        cache_hits, cache_misses = cache.take_counts()
        hits += cache_hits
        misses += cache_misses
    return hits, misses


def _after_fork() -> None:
    # A forked worker starts from zero, with locks no parent thread can hold.
    for cache in list(_caches):
        cache._lock = threading.Lock()
        cache._hits = cache._misses = 0


os.register_at_fork(after_in_child=_after_fork)
