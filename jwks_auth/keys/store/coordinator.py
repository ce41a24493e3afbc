"""One fetch at a time: in this process (a lock) and across workers (``FetchLock``).

A worker that needs a set and finds the shared lock taken waits for the
holder's result instead of fetching too. While fetching is paused after a
failure (``Backoff``, shared), nobody fetches and callers get
``KeysUnavailable``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from jwks_auth.exceptions import FetchError, KeysUnavailable
from jwks_auth.keys.store.lock import FetchLock
from jwks_auth.keys.store.lookup import KeySetLookup
from jwks_auth.keys.store.settings import KeyStoreSettings
from jwks_auth.keys.store.snapshot import Snapshot
from jwks_auth.utils.backoff import Backoff

logger = logging.getLogger("jwks_auth.keys.store")

T = TypeVar("T")
_POLL_INTERVAL = 0.05


class Coordinator:
    def __init__(
        self, issuer: str, settings: KeyStoreSettings, tiers: KeySetLookup, lock: FetchLock, backoff: Backoff
    ) -> None:
        self._issuer = issuer
        self._settings = settings
        self._tiers = tiers
        self.lock = lock
        self.backoff = backoff
        #: Held by whichever thread of this process is fetching (a background refresh included).
        self.process_lock = threading.Lock()

    def newer(self, since: float, fetch: Callable[[], T]) -> Snapshot | T:
        """A set fetched after ``since``, or what ``fetch()`` returns when it is our turn to fetch.

        A set already here or in the shared cache, or the result of another
        worker's fetch, is returned without calling ``fetch``. Raises
        ``KeysUnavailable`` when fetching fails (``FetchError`` from ``fetch``),
        is paused after a failure, or another fetch does not end in time.
        """
        timeout = self.lock.timeout
        deadline = time.time() + timeout
        if not self.process_lock.acquire(timeout=timeout):
            raise KeysUnavailable("timed out waiting for a key fetch in this process", retry_after=1)
        try:
            return self._across_workers(since, deadline, fetch)
        finally:
            self.process_lock.release()

    def join(self, since: float, turn: threading.Event | None) -> Snapshot | None:
        """A set fetched after ``since`` by a fetch already under way, here or in another worker; none of our own."""
        timeout = self.lock.timeout
        if self._wait_in_process(turn, timeout):
            newer = self._tiers.newer_than(since, time.time())
            if newer is not None:
                return newer
        if self.lock.is_held():
            return self._wait_for_holder(since, time.time() + timeout)
        return None

    def raise_if_paused(self, now: float) -> None:
        remaining = self.backoff.remaining(now)
        if remaining > 0:
            raise KeysUnavailable(retry_after=math.ceil(remaining))

    def _across_workers(self, since: float, deadline: float, fetch: Callable[[], T]) -> Snapshot | T:
        lock_removed = False
        while True:
            now = time.time()
            newer = self._tiers.newer_than(since, now)
            if newer is not None:
                return newer
            self.raise_if_paused(now)
            ticket = self.lock.take()
            if ticket.may_fetch:
                try:
                    return fetch()
                except FetchError as exc:
                    raise KeysUnavailable(retry_after=self._settings.retry_after) from exc
                finally:
                    self.lock.release(ticket)
            if time.time() >= deadline:
                if lock_removed:
                    raise KeysUnavailable("timed out waiting for another worker to fetch the keys", retry_after=1)
                logger.warning("Removing a stale key fetch lock for %s", self._issuer)
                self.lock.remove()
                lock_removed = True
                continue
            newer = self._wait_for_holder(since, deadline)
            if newer is not None:
                return newer
            # The lock went away without a result (its holder died), or the wait timed out: try again.

    def _wait_for_holder(self, since: float, deadline: float) -> Snapshot | None:
        """Poll for the lock holder's result until it lands, fails or the lock goes."""
        while time.time() < deadline:
            time.sleep(_POLL_INTERVAL)
            now = time.time()
            newer = self._tiers.newer_than(since, now)
            if newer is not None:
                return newer
            self.raise_if_paused(now)
            if not self.lock.is_held():
                # Released: its result may have landed just before.
                return self._tiers.newer_than(since, time.time())
        return None

    def _wait_in_process(self, turn: threading.Event | None, timeout: float) -> bool:
        """Wait for an unknown-kid turn or any fetch under way in this process; True if there was one."""
        busy = turn is not None
        if turn is not None:
            turn.wait(timeout)
        if self.process_lock.acquire(blocking=False):
            self.process_lock.release()
            return busy
        if self.process_lock.acquire(timeout=timeout):
            self.process_lock.release()
        return True
