"""The store's keys in the shared cache: one namespace, typed calls.

Every key is ``<CACHE_KEY_PREFIX>:<store id>:<slot>``, the store id a hash of
the issuer and its key URL: no token or kid text is ever part of a key.
``Slot`` lists every key a store writes, so ``clear`` cannot miss one.
"""

from __future__ import annotations

import hashlib
from enum import Enum

from jwks_auth.utils.shared_cache import SharedCache

#: Part of the entry's cache key, so that two deployed versions with
#: different entry formats never overwrite or delete each other's entries.
ENTRY_VERSION = 2


def short_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class Slot(Enum):
    ENTRY = f"jwks:v{ENTRY_VERSION}"  # the JWKS document and its timing
    DISCOVERY = "discovery"  # the jwks_uri from the discovery document
    LOCK = "lock"  # the cross-worker fetch lock
    FAILURE = "failure"  # the pause after a failed fetch
    COOLDOWN = "cooldown"  # the unknown-kid refetch window
    ERROR = "last-error"  # the last fetch error, for jwks_inspect


class Namespace:
    """The shared cache under one store's prefix."""

    def __init__(self, cache: SharedCache, prefix: str) -> None:
        self.cache = cache
        self.prefix = prefix

    def key(self, slot: Slot) -> str:
        return f"{self.prefix}:{slot.value}"

    def get(self, slot: Slot) -> object:
        return self.cache.get(self.key(slot))

    def set(self, slot: Slot, value: object, timeout: int | None) -> None:
        self.cache.set(self.key(slot), value, timeout)

    def add(self, slot: Slot, value: object, timeout: int | None) -> bool | None:
        """True if stored, False if taken, None if the cache failed."""
        return self.cache.add(self.key(slot), value, timeout)

    def delete(self, slot: Slot) -> None:
        self.cache.delete(self.key(slot))

    def value(self, slot: Slot) -> SlotValue:
        return SlotValue(self, slot)

    def clear(self) -> None:
        for slot in Slot:
            self.delete(slot)


class SlotValue:
    """One slot of a namespace, for parts that own a single key (a ``backoff.SharedValue``)."""

    def __init__(self, namespace: Namespace, slot: Slot) -> None:
        self._namespace = namespace
        self._slot = slot

    def get(self) -> object:
        return self._namespace.get(self._slot)

    def set(self, value: object, timeout: int | None) -> None:
        self._namespace.set(self._slot, value, timeout)

    def delete(self) -> None:
        self._namespace.delete(self._slot)
