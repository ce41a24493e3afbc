"""The two tiers: this process's snapshot in front of the shared entry.

A warm request costs a dict lookup: the snapshot is used as is until
``KEY_STORE["LOCAL_TTL"]`` (or its refresh time) has passed, then the shared entry is
read again, and a newer set there replaces ours. A store never goes back to
an older set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from jwks_auth.keys.jwks import KeySet
from jwks_auth.keys.store.entry import SharedEntry
from jwks_auth.keys.store.snapshot import Snapshot


class KeySetLookup:
    def __init__(self, entry: SharedEntry, local_ttl: float, on_new_set: Callable[[], None]) -> None:
        self.entry = entry
        self._local_ttl = local_ttl
        self._on_new_set = on_new_set
        self._snapshot: Snapshot | None = None
        self._recheck_at = 0.0
        self._lock = threading.Lock()

    @property
    def local(self) -> Snapshot | None:
        return self._snapshot

    def current(self, now: float, local: Snapshot | None) -> Snapshot | None:
        """The set to use without fetching (``local`` is ``self.local`` as read by the caller); ``None``: fetch."""
        held = self.held(now, local)
        if held is not None:
            return held
        shared = self.entry.read(now, local)
        if shared is not None and (local is None or shared.fetched_at > local.fetched_at):
            self.adopt(shared, now)
            return shared
        if local is not None and local.hard_expiry > now:
            self._recheck_at = now + self._recheck_interval(local, now)
            return local
        return None

    def held(self, now: float, local: Snapshot | None) -> Snapshot | None:
        """``local`` while it may be used without reading the shared cache (no I/O), else ``None``."""
        if local is not None and now < self._recheck_at and now < local.hard_expiry:
            return local
        return None

    def warm_keyset(self, now: float) -> KeySet | None:
        """The local set while it is usable without I/O and no refresh is due, else ``None``."""
        local = self._snapshot
        if local is not None and now < self._recheck_at and now < local.hard_expiry and now < local.refresh_at:
            return local.keyset
        return None

    def newer_than(self, since: float, now: float) -> Snapshot | None:
        """A usable set fetched after ``since``, held here or in the shared cache."""
        local = self._snapshot
        if local is not None and local.fetched_at > since and local.hard_expiry > now:
            return local
        shared = self.entry.read(now, local)
        if shared is not None and shared.fetched_at > since:
            self.adopt(shared, now)
            return shared
        return None

    def adopt(self, snapshot: Snapshot, now: float) -> None:
        with self._lock:
            current = self._snapshot
            if current is not None and current.fetched_at > snapshot.fetched_at:
                return  # never go back to an older set
            if current is not snapshot:
                self._snapshot = snapshot
                self._on_new_set()
            self._recheck_at = now + self._recheck_interval(snapshot, now)

    def reset(self) -> None:
        with self._lock:
            self._snapshot, self._recheck_at = None, 0.0

    def _recheck_interval(self, snapshot: Snapshot, now: float) -> float:
        if now >= snapshot.refresh_at:
            return min(self._local_ttl, 1.0)  # a refresh is due: look for its result soon
        return max(0.0, min(self._local_ttl, snapshot.refresh_at - now))
