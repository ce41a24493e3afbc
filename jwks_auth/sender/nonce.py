"""Stateless server nonces (RFC 9449 8): an HMAC of a time window, so any worker can check any nonce.

A nonce is the window number and a MAC of it under a key derived from
``SECRET_KEY``; it is good in its window and the next (one to two
``DPOP_NONCE_STEP``), so the nonce rotates without any shared state, and a
client that got one just before a window ends is not refused at once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from jwks_auth.keys.material import b64url_decode, b64url_encode

_WINDOW_BYTES = 8
_MAC_BYTES = 16


class NonceSource:
    """Issues and checks the nonces of one deployment."""

    def __init__(self, key: bytes, step: int = 60, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self.step = max(1, int(step))
        self.clock = clock

    @classmethod
    def from_secret(cls, secret_key: str, step: int = 60) -> NonceSource:
        # A key of its own: a nonce MAC must never double as anything else signed with SECRET_KEY.
        key = hmac.new(secret_key.encode("utf-8", "surrogatepass"), b"jwks_auth.sender.nonce", hashlib.sha256).digest()
        return cls(key, step)

    def _mac(self, window: int) -> bytes:
        return hmac.new(self._key, window.to_bytes(_WINDOW_BYTES, "big"), hashlib.sha256).digest()[:_MAC_BYTES]

    def _window(self, now: float | None) -> int:
        return int((self.clock() if now is None else now) // self.step)

    def current(self, now: float | None = None) -> str:
        window = self._window(now)
        return b64url_encode(window.to_bytes(_WINDOW_BYTES, "big") + self._mac(window))

    def valid(self, nonce: object, now: float | None = None) -> bool:
        """True for a nonce of this window or the one before, made with this key."""
        if not isinstance(nonce, str) or len(nonce) > 64:
            return False
        try:
            raw = b64url_decode(nonce)
        except ValueError:
            return False
        if len(raw) != _WINDOW_BYTES + _MAC_BYTES:
            return False
        window = int.from_bytes(raw[:_WINDOW_BYTES], "big")
        if self._window(now) - window not in (0, 1):
            return False
        return hmac.compare_digest(raw[_WINDOW_BYTES:], self._mac(window))
