"""Refresh ahead: a background thread fetches the set before it goes stale.

From ``refresh_at`` (``KEY_STORE["REFRESH_AHEAD"]`` before the soft expiry) one
worker refreshes while every request goes on with the current keys. The
request that starts the refresh takes both fetch locks and hands them to the
thread, so from that moment any other lookup in this process waits for the
refresh rather than racing it.
"""

from __future__ import annotations

import logging
import threading
import time

from jwks_auth.exceptions import FetchError
from jwks_auth.keys.store.coordinator import Coordinator
from jwks_auth.keys.store.fetcher import Fetcher
from jwks_auth.keys.store.lock import Ticket
from jwks_auth.keys.store.lookup import KeySetLookup

logger = logging.getLogger("jwks_auth.keys.store")


class Refresher:
    def __init__(
        self,
        issuer: str,
        name: str,
        coordinator: Coordinator,
        fetcher: Fetcher,
        tiers: KeySetLookup,
        retry_interval: float,
    ) -> None:
        self._issuer = issuer
        self._name = name
        self._coordinator = coordinator
        self._fetcher = fetcher
        self._tiers = tiers
        # A refresh that could not start is tried again this much later, at most.
        self._retry_delay = min(1.0, max(0.1, retry_interval))
        self._lock = threading.Lock()
        self._running = False
        self._next_try = 0.0

    def start(self, since: float, now: float) -> None:
        """Refresh the set fetched at ``since`` in the background, unless that is under way or paused."""
        with self._lock:
            if self._running or now < self._next_try:
                return
            self._running = True
            self._next_try = now + self._retry_delay
        started = False
        try:
            started = self._launch(since, now)
        finally:
            if not started:
                self._running = False

    def due(self, now: float) -> bool:
        """Whether ``start`` would try to launch a refresh (taking the shared lock: I/O) rather than return."""
        return not self._running and now >= self._next_try

    def reset(self) -> None:
        with self._lock:
            self._next_try = 0.0

    def _launch(self, since: float, now: float) -> bool:
        coordinator = self._coordinator
        if coordinator.backoff.remaining(now) > 0 or not coordinator.process_lock.acquire(blocking=False):
            return False  # paused after a failure, or a fetch in this process is under way
        ticket = coordinator.lock.take()
        if not ticket.may_fetch:
            coordinator.process_lock.release()
            return False  # another worker is refreshing; its result reaches us via the shared cache
        try:
            threading.Thread(target=self._run, args=(ticket, since), name=self._name, daemon=True).start()
        except RuntimeError:  # the process cannot start another thread: the set in hand serves, retried later
            self._release(ticket)
            logger.warning("JWKS background refresh not started: no thread to spare")
            return False
        except BaseException:
            self._release(ticket)
            raise
        return True

    def _run(self, ticket: Ticket, since: float) -> None:
        try:
            # Another worker may have refreshed just before we took the lock.
            newer = self._tiers.newer_than(since, time.time())
            if newer is None or time.time() >= newer.refresh_at:
                self._fetcher.fetch()
        except FetchError:
            pass  # logged and signalled; the current set stays in use
        except Exception:  # a background thread must never die loudly mid-request
            logger.exception("Background refresh of signing keys for %s failed", self._issuer)
        finally:
            self._release(ticket)
            self._running = False

    def _release(self, ticket: Ticket) -> None:
        # The locks were taken by the request thread that started us: a
        # threading.Lock may be released by another thread.
        self._coordinator.process_lock.release()
        self._coordinator.lock.release(ticket)
