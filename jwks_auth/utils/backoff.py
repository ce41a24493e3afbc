"""A pause after a failed call, so that a server that is down is not hammered.

The key store shares its pause across workers through the cache (a
``SharedValue``); token introspection keeps one per process. A shared value
that this code could not have written (garbage, or a pause longer than one
interval) is ignored, so a bad cache entry cannot stop fetching.

A failure is only evidence about the provider from where it was seen: a
host cut off from the provider must not stop the rest of the fleet from
fetching (a key rotation during such a partition would otherwise refuse
the new key everywhere). So the shared pause names the places that failed
(``utils.network_place``), and a process honours it when its own place is
among them, or when two places agree that the provider is down.
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

    #: Places (hosts) that must have failed before every place pauses: one host's failure may be its own route.
    places_agreeing = 2
    _MAX_PLACES = 8

    def __init__(self, interval: float, shared: SharedValue | None = None, place: str = "") -> None:
        self.interval = interval
        self._shared = shared
        self.place = place
        self._until = 0.0
        self._lock = threading.Lock()

    def fail(self, now: float, error: str = "") -> None:
        until = now + self.interval
        with self._lock:
            self._until = until
        if self._shared is not None:
            current = self._read_shared()
            running = current is not None and current[0] > now
            places = sorted({self.place, *(current[1] if running and current else ())})[: self._MAX_PLACES]
            self._shared.set({"until": until, "error": error, "places": places}, math.ceil(self.interval) + 1)

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
        shared = self._read_shared()
        if shared is not None and self._applies_here(shared[1]):
            remaining = shared[0] - now
            # More than one interval ahead is not something we wrote: ignore it.
            if 0 < remaining <= self.interval + 1:
                return remaining
        return 0.0

    def not_before(self) -> float:
        """The latest end of a pause, here or shared, as reported by ``jwks_inspect``."""
        shared = self._read_shared()
        return max(self._until, shared[0] if shared is not None else 0.0)

    def _applies_here(self, places: frozenset[str]) -> bool:
        """The shared pause holds here: seen from this place, or from enough places (or unnamed: not ours to doubt)."""
        return not places or self.place in places or len(places) >= self.places_agreeing

    def _read_shared(self) -> tuple[float, frozenset[str]] | None:
        """The shared pause: its end and the places that failed (none named: an entry of an older version)."""
        value = self._shared.get() if self._shared is not None else None
        if not isinstance(value, dict) or not is_finite_number(value.get("until")):
            return None
        places = value.get("places")
        named = frozenset(p for p in places if isinstance(p, str)) if isinstance(places, list) else frozenset()
        return float(value["until"]), named
