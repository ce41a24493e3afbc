"""The key store of one issuer, composed of the parts of this package.

See the package docstring for the policy; this module holds the public API
and the one decision that needs every part: what an unknown ``kid`` gets.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from jwks_auth.conf.settings import IssuerConfig
from jwks_auth.exceptions import FetchError, KeysUnavailable, UnknownKey
from jwks_auth.keys.jwks import KeySet, VerificationKey
from jwks_auth.keys.store.coordinator import Coordinator
from jwks_auth.keys.store.discovery import Discovery
from jwks_auth.keys.store.entry import SharedEntry
from jwks_auth.keys.store.events import Events
from jwks_auth.keys.store.fetcher import Fetcher
from jwks_auth.keys.store.lock import FetchLock
from jwks_auth.keys.store.lookup import KeySetLookup
from jwks_auth.keys.store.namespace import Namespace, Slot, short_hash
from jwks_auth.keys.store.refresher import Refresher
from jwks_auth.keys.store.settings import KeyStoreSettings
from jwks_auth.keys.store.snapshot import Snapshot
from jwks_auth.keys.store.unknown_kids import UnknownKidGate
from jwks_auth.utils.backoff import Backoff
from jwks_auth.utils.blocking import WouldBlock
from jwks_auth.utils.shared_cache import SharedCache


class KeyStore:
    """Keys of one issuer. Thread-safe; one instance per issuer per process.

    ``settings`` defaults to ``KeyStoreSettings.from_settings()``, read once here. ``metadata_url``: the
    document that names the key URL when it is not the issuer's discovery document (``Discovery``).
    """

    def __init__(
        self, config: IssuerConfig, settings: KeyStoreSettings | None = None, *, metadata_url: str | None = None
    ) -> None:
        self.config = config
        self.settings = settings = settings or KeyStoreSettings.from_settings()
        # Another document, another store: an issuer that is also a transmitter has two key URLs to keep apart.
        named = f"{config.issuer}|{config.jwks_uri or ''}" + (f"|{metadata_url}" if metadata_url else "")
        self.id = short_hash(named)
        self.namespace = namespace = Namespace(SharedCache(settings.cache_alias), f"{settings.key_prefix}:{self.id}")
        self._gate = UnknownKidGate(namespace, settings.unknown_kid_cooldown)
        self._tiers = KeySetLookup(
            SharedEntry(namespace, config.issuer, settings), settings.local_ttl, on_new_set=self._gate.forget_missing
        )
        self._events = Events(
            config.issuer,
            KeyStore,
            namespace,
            error_ttl=settings.error_ttl,
            stale_log_interval=max(1.0, settings.retry_interval),
        )
        self._discovery = Discovery(config, namespace, settings.discovery_ttl, metadata_url)
        backoff = Backoff(settings.retry_interval, namespace.value(Slot.FAILURE), settings.network_place)
        self._fetcher = Fetcher(settings, self._discovery, self._tiers, backoff, self._events)
        self._coordinator = Coordinator(
            config.issuer, settings, self._tiers, FetchLock(namespace, settings.lock_timeout), backoff
        )
        self._refresher = Refresher(
            config.issuer,
            f"jwks-refresh-{self.id[:8]}",
            self._coordinator,
            self._fetcher,
            self._tiers,
            settings.retry_interval,
        )

    # -- public API ------------------------------------------------------------
    def get_key(self, kid: str, alg: str, *, blocking: bool = True) -> tuple[VerificationKey, KeySet]:
        """The key for ``kid`` and ``alg`` and the set holding it.

        Raises ``UnknownKey`` (the token names no key of a fresh set) or
        ``KeysUnavailable`` (no set, or the set is stale and cannot be
        refreshed, so a new key cannot be told from a forged kid). With
        ``blocking=False`` (an event loop), what needs I/O raises
        ``WouldBlock`` instead, naming the blocking call to make off the loop.
        """
        now = time.time()
        snapshot = self.snapshot(now, blocking=blocking)
        key = snapshot.keyset.find(kid, alg)
        if key is None:
            self._refused_in_memory(kid, snapshot, now)
            if not blocking:
                raise WouldBlock(("kid", self.id, kid, alg), functools.partial(self.get_key, kid, alg))
            return self._unknown_kid(kid, alg, snapshot, now)
        return key, snapshot.keyset

    def snapshot(self, now: float | None = None, *, blocking: bool = True) -> Snapshot:
        """The current key set, loading or fetching it when needed (``WouldBlock`` for that, unless ``blocking``)."""
        now = time.time() if now is None else now
        local = self._tiers.local
        if not blocking:
            return self._snapshot_in_memory(now, local)
        snapshot = self._tiers.current(now, local)
        if snapshot is None:
            # Nothing usable here or in the shared cache: fetch, once across workers.
            since = local.fetched_at if local is not None else -1.0
            snapshot = self._coordinator.newer(since, self._fetcher.fetch)
        if now >= snapshot.refresh_at:
            if now >= snapshot.soft_expiry:
                self._events.stale(snapshot, now)
            self._refresher.start(snapshot.fetched_at, now)
        return snapshot

    def warm_key(self, kid: str, alg: str, now: float) -> tuple[VerificationKey, KeySet] | None:
        """The key for ``kid`` from the local set while it is usable without I/O and nothing is due, else ``None``
        (``get_key`` then decides, fetching or refusing an unknown kid)."""
        keyset = self._tiers.warm_keyset(now)
        if keyset is None:
            return None
        key = keyset.find(kid, alg)
        return None if key is None else (key, keyset)

    def has_key(
        self,
        kid: str,
        alg: str,
        thumbprint: str,
        keyset: KeySet | None = None,
        *,
        blocking: bool = True,
        now: float | None = None,
    ) -> bool:
        """True while the exact key is still in the current set (for cached tokens)."""
        now = time.time() if now is None else now
        if keyset is not None and keyset is self._tiers.warm_keyset(now):
            return True  # the very set that verified the token, with nothing due: a warm request
        try:
            current = self.snapshot(now, blocking=blocking).keyset
        except KeysUnavailable:
            return False
        if current is keyset:
            return True  # the very set that verified the token
        key = current.find(kid, alg)
        return key is not None and key.thumbprint == thumbprint

    def refresh(self) -> Snapshot:
        """Fetch now, whatever the cache holds (``jwks_prefetch``); raises ``FetchError``."""
        lock = self._coordinator.process_lock
        if not lock.acquire(timeout=self.settings.lock_timeout):
            raise FetchError("another fetch in this process did not finish in time")
        try:
            return self._fetcher.fetch()
        finally:
            lock.release()

    def clear(self) -> None:
        """Forget the keys in this process and in the shared cache."""
        self.namespace.clear()
        for part in (
            self._tiers,
            self._gate,
            self._coordinator.backoff,
            self._refresher,
            self._discovery,
            self._events,
        ):
            part.reset()

    def cached(self) -> Snapshot | None:
        """The set held in the shared cache or this process, without fetching."""
        local = self._tiers.local
        return self._tiers.entry.read(time.time(), local) or local

    def status(self) -> dict[str, Any]:
        """What is cached and how fresh it is, for ``jwks_inspect``."""
        now = time.time()
        local = self._tiers.local
        shared = self._tiers.entry.read(now, local)
        last_error = self._events.last_error()
        not_before = self._coordinator.backoff.not_before()
        return {
            "issuer": self.config.issuer,
            "jwks_uri": self._discovery.known(),
            "cache_alias": self.settings.cache_alias,
            "shared": {**shared.describe(), "source": "shared cache"} if shared else None,
            "local": local.describe() if local else None,
            "last_error": last_error[0] if last_error else None,
            "last_error_at": last_error[1] if last_error else None,
            "retry_not_before": not_before if not_before > now else None,
        }

    # -- unknown kid -----------------------------------------------------------------
    def _unknown_kid(self, kid: str, alg: str, snapshot: Snapshot, now: float) -> tuple[VerificationKey, KeySet]:
        """The key for a kid that ``snapshot`` lacks, once a newer set was looked for; else 401 or 503.

        The rule, decided here only, from the set held when the request
        arrived (``snapshot``, judged at ``now``) and the newest set the
        lookup could get:

        - the kid is in the set for another algorithm or key type: 401
          (``UnknownKey``), nothing fetched;
        - the set is fresh: a kid found missing within ``KEY_STORE["UNKNOWN_KID_COOLDOWN"]``
          is 401 without any lookup; otherwise a newer set is looked for (in
          the shared cache, at most one refetch per cooldown across workers,
          or a fetch already under way). The kid in it gives its key; if not,
          401, even with the provider down: a fresh set is authoritative;
        - the set is stale (past its soft expiry): a refresh is due anyway, so
          the lookup makes it or waits for the one under way, whoever runs it
          (the background refresh, another thread or worker). The kid in the
          new set gives its key; a fresh set without it is 401; no fresh set
          (the provider cannot be reached, or fetching is paused after a
          failure) is 503 (``KeysUnavailable``), as the kid may name a key
          published since.

        Neither outcome depends on which thread fetches or how long it takes.
        The first two cases are decided by ``get_key`` (``_refused_in_memory``).
        """
        kid_hash = short_hash(kid)
        stale = now >= snapshot.soft_expiry
        latest, fetched, failed = self._refreshed(snapshot, now) if stale else self._rechecked(kid, alg, snapshot, now)
        key = latest.keyset.find(kid, alg)
        if key is not None:
            return key, latest.keyset
        if now >= latest.soft_expiry:
            raise KeysUnavailable(
                "signing keys are stale and cannot be refreshed", retry_after=self.settings.retry_after
            )
        # Unconfirmed (no fetch could be made): remembered only until fetching may be tried again, as a host cut
        # off from the provider must see the set another host fetches soon after.
        raise self._rejected(kid_hash, fetched=fetched, only_for=self.settings.retry_interval if failed else None)

    def _refused_in_memory(self, kid: str, snapshot: Snapshot, now: float) -> None:
        """``UnknownKey`` for the unknown-kid cases decided without any lookup (see ``_unknown_kid``)."""
        kid_hash = short_hash(kid)
        if kid in snapshot.keyset:
            raise self._rejected(kid_hash, fetched=False)
        if now < snapshot.soft_expiry and self._gate.is_missing(kid_hash, now):
            raise self._rejected(kid_hash, fetched=False, remember=False)

    def _snapshot_in_memory(self, now: float, local: Snapshot | None) -> Snapshot:
        """What ``snapshot`` returns when that needs no I/O; else ``WouldBlock`` naming ``snapshot``.

        Reading the shared entry, fetching and starting a refresh (it takes
        the shared lock) are I/O; a refresh under way or not yet due to be
        retried is not.
        """
        held = self._tiers.held(now, local)
        if held is None or (now >= held.refresh_at and self._refresher.due(now)):
            raise WouldBlock(("snapshot", self.id), self.snapshot)
        if now >= held.soft_expiry:
            self._events.stale(held, now)
        return held

    def _refreshed(self, snapshot: Snapshot, now: float) -> tuple[Snapshot, bool, bool]:
        """The stale ``snapshot`` refreshed (by us or by the fetch under way), or itself if that fails.

        With whether we fetched it, and whether no newer set could be had (the provider unreachable, or paused).
        """
        # The refresh counts as this window's unknown-kid refetch, so the
        # next unknown kid does not fetch again right after it.
        turn = self._gate.take_turn(now)
        latest = snapshot
        try:
            # A newer set found may be stale too (written long ago, or by a host whose clock is behind).
            for _ in range(3):
                latest = self._coordinator.newer(latest.fetched_at, self._fetch_counting_turn)
                if now < latest.soft_expiry:
                    break
        except KeysUnavailable:
            return latest, False, True  # the provider cannot be reached, or fetching is paused
        finally:
            if turn is not None:
                turn.set()
        return latest, latest.source == "fetch" and latest.fetched_at >= now, False

    def _rechecked(self, kid: str, alg: str, snapshot: Snapshot, now: float) -> tuple[Snapshot, bool, bool]:
        """The newest set for a kid the fresh ``snapshot`` lacks, whether we fetched it, and whether fetching failed."""
        newer = self._tiers.newer_than(snapshot.fetched_at, now)
        if newer is not None:  # another worker fetched a newer set (a rotation)
            if newer.keyset.find(kid, alg) is not None:
                return newer, False, False
            snapshot = newer
        since = snapshot.fetched_at
        turn = self._gate.take_turn(now)
        try:
            if turn is None:  # our cooldown: only a fetch already under way can help
                return self._coordinator.join(since, self._gate.turn_in_progress()) or snapshot, False, False
            found = self._coordinator.newer(since, lambda: self._fetch_on_shared_turn(since))
        except KeysUnavailable:
            return snapshot, False, True  # the provider cannot be reached, or fetching is paused
        finally:
            if turn is not None:
                turn.set()
        if found is None:
            return snapshot, False, False
        return found, found.source == "fetch" and found.fetched_at >= now, False

    def _fetch_counting_turn(self) -> Snapshot:
        took = self._gate.take_shared_turn()  # free or not: a stale set is refreshed anyway
        return self._fetch_giving_back_turn(took)

    def _fetch_on_shared_turn(self, since: float) -> Snapshot | None:
        if self._gate.take_shared_turn():
            return self._fetch_giving_back_turn(True)
        # Another worker refetched recently; its result may have just landed.
        return self._tiers.newer_than(since, time.time())

    def _fetch_giving_back_turn(self, took_turn: bool) -> Snapshot:
        """Fetch; a failed fetch gives the fleet's refetch turn back, as the failure may be this host's route alone."""
        try:
            return self._fetcher.fetch()
        except FetchError:
            if took_turn:
                self._gate.give_back_shared_turn()
            raise

    def _rejected(
        self, kid_hash: str, *, fetched: bool, remember: bool = True, only_for: float | None = None
    ) -> UnknownKey:
        """Record and signal a kid missing from the set (for the cooldown, or ``only_for`` s); raise the result."""
        if remember:
            self._gate.remember(kid_hash, only_for)
        self._events.unknown_kid(kid_hash, fetched=fetched, cooldown=self.settings.unknown_kid_cooldown)
        return UnknownKey()
