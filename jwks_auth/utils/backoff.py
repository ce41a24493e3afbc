"""A pause after a failed call, so that a server that is down is not hammered.

The key store shares its pause across workers through the cache (a
``SharedValue``); token introspection keeps one per process. A shared value
that this code could not have written (garbage, or a pause longer than one
interval) is ignored, so a bad cache entry cannot stop fetching.
"""

from __future__ import annotations

import math
import threading
from typing import Protocol

from jwks_auth.utils.json_numbers import is_finite_number


class SharedValue(Protocol):
    """One key of a shared cache."""

    def get(self) -> object: ...

    def set(self, value: object, timeout: int | None) -> None: ...

    def delete(self) -> None: ...


class Backoff:
    """No new attempt for ``interval`` seconds after a failure."""

    def __init__(self, interval: float, shared: SharedValue | None = None) -> None:
        self.interval = interval
        self._shared = shared
        self._until = 0.0
        self._lock = threading.Lock()

    def fail(self, now: float, error: str = "") -> None:
        until = now + self.interval
        with self._lock:
            self._until = until
        if self._shared is not None:
            self._shared.set({"until": until, "error": error}, math.ceil(self.interval) + 1)

    def succeed(self) -> None:
        if self._shared is not None:
            self._shared.delete()
        self.reset()

    def reset(self) -> None:
        """Forget the pause of this process (the shared one is left to its owner)."""
        with self._lock:
            self._until = 0.0

    def remaining(self, now: float) -> float:
        """Seconds left in the pause, 0 when an attempt may be made."""
        if now < self._until:
            return self._until - now
        shared = self._shared_until()
        if shared is not None:
            remaining = shared - now
            # More than one interval ahead is not something we wrote: ignore it.
            if 0 < remaining <= self.interval + 1:
                return remaining
        return 0.0

    def not_before(self) -> float:
        """The latest end of a pause, here or shared, as reported by ``jwks_inspect``."""
        shared = self._shared_until()
        return max(self._until, shared if shared is not None else 0.0)

    def _shared_until(self) -> float | None:
        value = self._shared.get() if self._shared is not None else None
        if isinstance(value, dict) and is_finite_number(value.get("until")):
            return float(value["until"])
        return None
