"""A per-process LRU of tokens that passed validation.

Keyed by a SHA-256 digest of the token (the token itself is never kept as a
key); an entry lives no longer than the token's ``exp`` and is only used
while the key that verified it is still in its issuer's key set. Only
successful validations are stored.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jwks_auth.ops.metrics import get_recorder

if TYPE_CHECKING:
    from jwks_auth.access_token import AccessToken
    from jwks_auth.keys import KeySet
    from jwks_auth.keystore import KeyStore


@dataclass(frozen=True)
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

    def get(self, digest: bytes, now: float) -> CachedToken | None:
        entry = self._entries.get(digest)
        if entry is None:
            get_recorder().token_cache(False)
            return None
        if now >= entry.expires_at:
            self.discard(digest)
            get_recorder().token_cache(False)
            return None
        with self._lock:
            if digest in self._entries:
                self._entries.move_to_end(digest)
        get_recorder().token_cache(True)
        return entry

    def put(self, digest: bytes, entry: CachedToken) -> None:
        if not self.maxsize:
            return
        with self._lock:
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def discard(self, digest: bytes) -> None:
        with self._lock:
            self._entries.pop(digest, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
