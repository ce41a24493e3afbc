"""The key store of one issuer: two tiers, shared fetching, stale serving.

Tier 1 is a per-process snapshot of the parsed keys, re-read from tier 2
every ``LOCAL_TTL`` seconds, so a warm request costs a dict lookup: no cache
round-trip and no key parsing. Tier 2 is the JWKS document in Django's cache
(``CACHE_ALIAS``), shared by every worker and host that share the cache.

A set has a soft lifetime (the provider's ``Cache-Control: max-age`` within
``JWKS_MIN_TTL``..``JWKS_MAX_TTL``); ``JWKS_REFRESH_AHEAD`` seconds before it
ends one worker refreshes the set in a background thread while every request
goes on with the current keys. A hard limit (``JWKS_STALE_TTL``) bounds how
long the last good set is served while the provider cannot be reached; stale
serving is logged and signalled. A failed fetch never removes a good set.

Fetches are serialised across workers by a lock in the shared cache
(``cache.add`` with an expiry, so a dead holder cannot block anyone for
longer than a fetch may take); a cold worker that finds the lock taken waits
for the holder's result instead of fetching too. After a failure, fetching
pauses for ``JWKS_RETRY_INTERVAL`` (shared). An unknown ``kid`` causes at most
one fetch per ``UNKNOWN_KID_COOLDOWN`` across all workers; kids still missing
afterwards are remembered and rejected without any lookup.

Cache keys are a fixed prefix plus a hash of the issuer: no token or kid
text is ever part of a key. The shared cache is an optimisation, never a
dependency or a source of trust: an entry that does not parse is ignored and
refetched, and when the cache fails the store works from its own snapshot or
fetches directly, and logs the failure.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from jwks_auth import signals
from jwks_auth.cache import SharedCache
from jwks_auth.conf import IssuerConfig, jwks_settings
from jwks_auth.exceptions import FetchError, KeysUnavailable, UnknownKey
from jwks_auth.fetch import check_url, fetch_json, http_timeouts
from jwks_auth.keys import KeySet, VerificationKey
from jwks_auth.numbers import is_finite_number

logger = logging.getLogger("jwks_auth.keystore")

#: Part of the entry's cache key, so that two deployed versions with
#: different entry formats never overwrite or delete each other's entries.
_ENTRY_VERSION = 2
_MISSING_KIDS_MAX = 4096
_POLL_INTERVAL = 0.05


def short_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Snapshot:
    """A parsed key set with its timing, as held by one process."""

    keyset: KeySet
    fetched_at: float
    soft_expiry: float
    hard_expiry: float
    uri: str
    source: str  # "fetch" or "shared cache"

    refresh_at: float = 0.0  # when a background refresh should start

    def __post_init__(self) -> None:
        if not self.refresh_at:
            ahead = min(float(jwks_settings.JWKS_REFRESH_AHEAD), (self.soft_expiry - self.fetched_at) / 4)
            object.__setattr__(self, "refresh_at", self.soft_expiry - ahead)


class KeyStore:
    """Keys of one issuer. Thread-safe; one instance per issuer per process."""

    def __init__(self, config: IssuerConfig) -> None:
        self.config = config
        self.id = short_hash(f"{config.issuer}|{config.jwks_uri or ''}")
        prefix = f"{jwks_settings.CACHE_KEY_PREFIX}:{self.id}"
        self._k_entry = f"{prefix}:jwks:v{_ENTRY_VERSION}"
        self._k_discovery = f"{prefix}:discovery"
        self._k_lock = f"{prefix}:lock"
        self._k_failure = f"{prefix}:failure"
        self._k_cooldown = f"{prefix}:cooldown"
        self._k_error = f"{prefix}:last-error"
        self._snapshot: Snapshot | None = None
        self._recheck_at = 0.0
        self._fetch_lock = threading.Lock()  # one fetch at a time in this process
        self._state_lock = threading.Lock()  # guards the flags below
        self._refreshing = False
        self._next_refresh_try = 0.0
        self._local_cooldown_until = 0.0
        self._kid_fetch_done: threading.Event | None = None
        self._local_failure_until = 0.0
        self._missing: dict[str, float] = {}
        self._last_error: tuple[str, float] | None = None
        self._next_stale_log = 0.0
        self._cache = SharedCache()
        self._jwks_uri: tuple[str, float] | None = None

    # -- public API ------------------------------------------------------------
    def get_key(self, kid: str, alg: str) -> tuple[VerificationKey, KeySet]:
        """The key for ``kid`` and ``alg`` and the set holding it.

        Raises ``UnknownKey`` (the token names no key of a fresh set) or
        ``KeysUnavailable`` (no set, or the set is stale and cannot be
        refreshed, so a new key cannot be told from a forged kid).
        """
        now = time.time()
        snapshot = self.snapshot(now)
        key = snapshot.keyset.find(kid, alg)
        if key is None:
            return self._unknown_kid(kid, alg, snapshot, now)
        return key, snapshot.keyset

    def snapshot(self, now: float | None = None) -> Snapshot:
        """The current key set, loading or fetching it when needed."""
        now = time.time() if now is None else now
        snapshot = self._snapshot
        if snapshot is None or now >= self._recheck_at or now >= snapshot.hard_expiry:
            snapshot = self._load(now)
        if now >= snapshot.refresh_at:
            if now >= snapshot.soft_expiry:
                self._stale(snapshot, now)
            self._refresh_in_background(snapshot, now)
        return snapshot

    def has_key(self, kid: str, alg: str, thumbprint: str, keyset: KeySet | None = None) -> bool:
        """True while the exact key is still in the current set (for cached tokens)."""
        try:
            current = self.snapshot().keyset
        except KeysUnavailable:
            return False
        if current is keyset:
            return True  # the very set that verified the token
        key = current.find(kid, alg)
        return key is not None and key.thumbprint == thumbprint

    def refresh(self) -> Snapshot:
        """Fetch now, whatever the cache holds (``jwks_prefetch``); raises ``FetchError``."""
        if not self._fetch_lock.acquire(timeout=self._lock_timeout()):
            raise FetchError("another fetch in this process did not finish in time")
        try:
            return self._fetch_and_store()
        finally:
            self._fetch_lock.release()

    def clear(self) -> None:
        """Forget the keys in this process and in the shared cache."""
        for key in (self._k_entry, self._k_discovery, self._k_lock, self._k_failure, self._k_cooldown, self._k_error):
            self._cache.call("delete", key)
        with self._state_lock:
            self._snapshot, self._recheck_at, self._jwks_uri = None, 0.0, None
            self._missing.clear()
            self._local_failure_until = self._local_cooldown_until = self._next_refresh_try = 0.0
            self._last_error = None

    def cached(self) -> Snapshot | None:
        """The set held in the shared cache or this process, without fetching."""
        return self._read_entry(time.time()) or self._snapshot

    def status(self) -> dict[str, Any]:
        """What is cached and how fresh it is, for ``jwks_inspect``."""
        now = time.time()
        shared = self._read_entry(now)
        error = self._cache.call("get", self._k_error)
        shared_error = None
        if isinstance(error, dict) and isinstance(error.get("error"), str) and is_finite_number(error.get("at")):
            shared_error = (error["error"], float(error["at"]))
        errors = [e for e in (self._last_error, shared_error) if e is not None]
        last_error = max(errors, key=lambda item: item[1]) if errors else None
        failure = self._cache.call("get", self._k_failure)
        backoff_until = max(
            self._local_failure_until,
            float(failure["until"]) if isinstance(failure, dict) and is_finite_number(failure.get("until")) else 0.0,
        )
        return {
            "issuer": self.config.issuer,
            "jwks_uri": self.config.jwks_uri or (self._jwks_uri or (None,))[0],
            "cache_alias": jwks_settings.CACHE_ALIAS,
            "shared": {**_describe(shared), "source": "shared cache"} if shared else None,
            "local": _describe(self._snapshot) if self._snapshot else None,
            "last_error": last_error[0] if last_error else None,
            "last_error_at": last_error[1] if last_error else None,
            "retry_not_before": backoff_until if backoff_until > now else None,
        }

    # -- loading -----------------------------------------------------------------
    def _load(self, now: float) -> Snapshot:
        shared = self._read_entry(now)
        local = self._snapshot
        if shared is not None and (local is None or shared.fetched_at > local.fetched_at):
            self._adopt(shared, now)
            return shared
        if local is not None and local.hard_expiry > now:
            self._recheck_at = now + self._recheck_interval(local, now)
            return local
        # Nothing usable here or in the shared cache: fetch, once across workers.
        since = local.fetched_at if local is not None else -1.0
        snapshot = self._fetch_shared(since)
        if snapshot is None:  # only a cooldown-gated fetch returns None; kept for safety
            raise KeysUnavailable(retry_after=self._retry_after())
        return snapshot

    def _adopt(self, snapshot: Snapshot, now: float) -> None:
        with self._state_lock:
            current = self._snapshot
            if current is not None and current.fetched_at > snapshot.fetched_at:
                return  # never go back to an older set
            if current is not snapshot:
                self._snapshot = snapshot
                self._missing.clear()  # a newer set may hold kids we found missing
            self._recheck_at = now + self._recheck_interval(snapshot, now)

    @staticmethod
    def _recheck_interval(snapshot: Snapshot, now: float) -> float:
        local_ttl = float(jwks_settings.LOCAL_TTL)
        if now >= snapshot.refresh_at:
            return min(local_ttl, 1.0)  # a refresh is due: look for its result soon
        return max(0.0, min(local_ttl, snapshot.refresh_at - now))

    def _newer_than(self, since: float, now: float) -> Snapshot | None:
        """A usable set fetched after ``since``, held here or in the shared cache."""
        local = self._snapshot
        if local is not None and local.fetched_at > since and local.hard_expiry > now:
            return local
        shared = self._read_entry(now)
        if shared is not None and shared.fetched_at > since:
            self._adopt(shared, now)
            return shared
        return None

    # -- fetching, one worker at a time -----------------------------------------
    def _fetch_shared(self, since: float, *, cooldown: bool = False) -> Snapshot | None:
        """A set newer than ``since``: fetched here, or by whoever holds the fetch lock.

        With ``cooldown`` a fetch of our own also needs the shared unknown-kid
        cooldown; ``None`` when another worker took it and no newer set exists.
        Raises ``KeysUnavailable`` when fetching fails, is paused after a
        failure, or another worker's fetch does not end in time.
        """
        timeout = self._lock_timeout()
        deadline = time.time() + timeout
        if not self._fetch_lock.acquire(timeout=timeout):
            raise KeysUnavailable("timed out waiting for a key fetch in this process", retry_after=1)
        lock_cleared = False
        try:
            while True:
                now = time.time()
                newer = self._newer_than(since, now)
                if newer is not None:
                    return newer
                self._raise_if_backing_off(now)
                owner = secrets.token_hex(8)
                acquired = self._cache.call("add", self._k_lock, owner, timeout, default=None)
                if acquired is not False:  # True, or the cache is down: fetch ourselves
                    try:
                        if cooldown and not self._take_cooldown():
                            # Another worker refetched recently; its result may have just landed.
                            return self._newer_than(since, time.time())
                        try:
                            return self._fetch_and_store()
                        except FetchError as exc:
                            raise KeysUnavailable(retry_after=self._retry_after()) from exc
                    finally:
                        if acquired:
                            self._release_lock(owner)
                if time.time() >= deadline:
                    if lock_cleared:
                        raise KeysUnavailable("timed out waiting for another worker to fetch the keys", retry_after=1)
                    # The lock outlived any fetch (a lock without expiry, or a cache that
                    # keeps it): drop it and take it ourselves.
                    logger.warning("Removing a stale key fetch lock for %s", self.config.issuer)
                    self._cache.call("delete", self._k_lock)
                    lock_cleared = True
                    continue
                newer = self._wait_for_other_worker(since, deadline)
                if newer is not None:
                    return newer
                # The lock went away without a result (its holder died), or the wait timed out: try again.
        finally:
            self._fetch_lock.release()

    def _wait_for_other_worker(self, since: float, deadline: float) -> Snapshot | None:
        """Poll for the lock holder's result until it lands, fails or the lock goes."""
        while time.time() < deadline:
            time.sleep(_POLL_INTERVAL)
            now = time.time()
            newer = self._newer_than(since, now)
            if newer is not None:
                return newer
            self._raise_if_backing_off(now)
            if self._cache.call("get", self._k_lock) is None:
                # Released: its result may have landed just before.
                return self._newer_than(since, time.time())
        return None

    def _release_lock(self, owner: str) -> None:
        # Only our own lock: if ours expired, another worker's must stay.
        if self._cache.call("get", self._k_lock) == owner:
            self._cache.call("delete", self._k_lock)

    def _backoff_remaining(self, now: float) -> float:
        if now < self._local_failure_until:
            return self._local_failure_until - now
        failure = self._cache.call("get", self._k_failure)
        if isinstance(failure, dict) and is_finite_number(failure.get("until")):
            remaining = float(failure["until"]) - now
            # More than one retry interval ahead is not something we wrote: ignore it.
            if 0 < remaining <= float(jwks_settings.JWKS_RETRY_INTERVAL) + 1:
                return remaining
        return 0.0

    def _raise_if_backing_off(self, now: float) -> None:
        remaining = self._backoff_remaining(now)
        if remaining > 0:
            raise KeysUnavailable(retry_after=math.ceil(remaining))

    def _fetch_and_store(self) -> Snapshot:
        uri = "?"
        try:
            uri = self._discover_jwks_uri(time.time())
            result = fetch_json(uri)
            try:
                keyset = KeySet.from_document(result.document)
            except ValueError as exc:
                raise FetchError(f"{uri}: {exc}") from exc
            if not keyset.keys:
                raise FetchError(f"{uri}: the JWKS holds no usable key")
        except FetchError as exc:
            if not self.config.jwks_uri:
                # The key URL may have moved (or the cached one is wrong): discover it again next time.
                self._jwks_uri = None
                self._cache.call("delete", self._k_discovery)
            self._record_failure(uri, exc)
            raise
        ttl = self._ttl(result.max_age)
        fetched_at = time.time()
        snapshot = Snapshot(
            keyset, fetched_at, fetched_at + ttl,
            fetched_at + max(ttl, float(jwks_settings.JWKS_STALE_TTL)), uri, "fetch",
        )
        entry = {
            "v": _ENTRY_VERSION, "jwks": json.dumps(result.document), "uri": uri,
            "fetched_at": snapshot.fetched_at, "soft": snapshot.soft_expiry, "hard": snapshot.hard_expiry,
        }
        self._cache.call("set", self._k_entry, entry, math.ceil(snapshot.hard_expiry - fetched_at) + 1)
        self._cache.call("delete", self._k_failure)
        self._local_failure_until = 0.0
        self._adopt(snapshot, fetched_at)
        logger.info("Fetched %d signing key(s) for %s from %s", len(keyset), self.config.issuer, uri)
        signals.jwks_fetched.send(
            sender=KeyStore, issuer=self.config.issuer, uri=uri, key_count=len(keyset), duration=result.duration
        )
        return snapshot

    def _record_failure(self, uri: str, exc: Exception) -> None:
        retry = float(jwks_settings.JWKS_RETRY_INTERVAL)
        now = time.time()
        message = str(exc)[:500]
        self._last_error = (message, now)
        self._local_failure_until = now + retry
        self._cache.call("set", self._k_failure, {"until": now + retry, "error": message}, math.ceil(retry) + 1)
        error_ttl = max(60, math.ceil(float(jwks_settings.JWKS_STALE_TTL)))
        self._cache.call("set", self._k_error, {"error": message, "at": now}, error_ttl)
        logger.warning("Fetching signing keys for %s failed: %s", self.config.issuer, message)
        signals.jwks_fetch_failed.send(sender=KeyStore, issuer=self.config.issuer, uri=uri, error=message)

    def _ttl(self, max_age: int | None) -> float:
        ttl = float(jwks_settings.JWKS_DEFAULT_TTL if max_age is None else max_age)
        return min(max(ttl, float(jwks_settings.JWKS_MIN_TTL)), float(jwks_settings.JWKS_MAX_TTL))

    def _retry_after(self) -> int:
        return max(1, math.ceil(float(jwks_settings.JWKS_RETRY_INTERVAL)))

    def _lock_timeout(self) -> int:
        """Longest a fetch may take (discovery and JWKS, each within its timeouts), plus a margin."""
        return math.ceil(sum(http_timeouts()) * 2) + 2

    def _discover_jwks_uri(self, now: float) -> str:
        if self.config.jwks_uri:
            check_url(self.config.jwks_uri)
            return self.config.jwks_uri
        if self._jwks_uri and self._jwks_uri[1] > now:
            return self._jwks_uri[0]
        uri = self._cache.call("get", self._k_discovery)
        if isinstance(uri, str):
            try:
                check_url(uri)
            except FetchError:
                uri = None  # garbage in the cache: discover again
        if not isinstance(uri, str) or not uri:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = fetch_json(url).document
            if document.get("issuer") != self.config.issuer:
                raise FetchError(f"{url}: discovery document names another issuer")
            uri = document.get("jwks_uri")
            if not isinstance(uri, str) or not uri:
                raise FetchError(f"{url}: discovery document has no jwks_uri")
            check_url(uri)
            self._cache.call("set", self._k_discovery, uri, math.ceil(float(jwks_settings.DISCOVERY_TTL)))
        self._jwks_uri = (uri, now + float(jwks_settings.DISCOVERY_TTL))
        return uri

    # -- refresh ahead and stale serving --------------------------------------------
    def _refresh_in_background(self, snapshot: Snapshot, now: float) -> None:
        with self._state_lock:
            if self._refreshing or now < self._next_refresh_try:
                return
            self._refreshing = True
            self._next_refresh_try = now + min(1.0, max(0.1, float(jwks_settings.JWKS_RETRY_INTERVAL)))
        started = False
        try:
            if self._backoff_remaining(now) > 0:
                return
            owner = secrets.token_hex(8)
            acquired = self._cache.call("add", self._k_lock, owner, self._lock_timeout(), default=None)
            if acquired is False:
                return  # another worker is refreshing; its result reaches us via the shared cache
            thread = threading.Thread(
                target=self._background_refresh, args=(owner if acquired else None, snapshot.fetched_at),
                name=f"jwks-refresh-{self.id[:8]}", daemon=True,
            )
            thread.start()
            started = True
        finally:
            if not started:
                self._refreshing = False

    def _background_refresh(self, owner: str | None, since: float) -> None:
        try:
            if not self._fetch_lock.acquire(timeout=self._lock_timeout()):
                return
            try:
                # Another worker may have refreshed just before we took the lock.
                newer = self._newer_than(since, time.time())
                if newer is not None and time.time() < newer.refresh_at:
                    return
                self._fetch_and_store()
            finally:
                self._fetch_lock.release()
        except FetchError:
            pass  # logged and signalled; the current set stays in use
        except Exception:  # a background thread must never die loudly mid-request
            logger.exception("Background refresh of signing keys for %s failed", self.config.issuer)
        finally:
            if owner is not None:
                self._release_lock(owner)
            self._refreshing = False

    def _stale(self, snapshot: Snapshot, now: float) -> None:
        age = now - snapshot.fetched_at
        if now >= self._next_stale_log:
            self._next_stale_log = now + max(1.0, float(jwks_settings.JWKS_RETRY_INTERVAL))
            logger.warning(
                "Serving stale signing keys for %s (fetched %.0f s ago; soft lifetime %.0f s, served until %.0f s)",
                self.config.issuer, age, snapshot.soft_expiry - snapshot.fetched_at,
                snapshot.hard_expiry - snapshot.fetched_at,
            )
            signals.stale_keys_served.send(sender=KeyStore, issuer=self.config.issuer, age=age)

    # -- unknown kid -----------------------------------------------------------------
    def _unknown_kid(self, kid: str, alg: str, snapshot: Snapshot, now: float) -> tuple[VerificationKey, KeySet]:
        kid_hash = short_hash(kid)
        if kid in snapshot.keyset:
            # The kid is known, for another algorithm or key type: no fetch can help.
            raise self._rejected_kid(kid_hash, fetched=False)
        if self._missing.get(kid_hash, 0.0) > now and now < snapshot.soft_expiry:
            raise self._rejected_kid(kid_hash, fetched=False, remember=False)
        # Another worker may already hold a newer set (a rotation it fetched).
        newer = self._newer_than(snapshot.fetched_at, now)
        if newer is not None:
            snapshot = newer
            key = snapshot.keyset.find(kid, alg)
            if key is not None:
                return key, snapshot.keyset
        fetched = False
        event = self._take_local_cooldown(now)
        try:
            if event is not None:
                newer = self._fetch_shared(snapshot.fetched_at, cooldown=True)
                fetched = newer is not None and newer.source == "fetch" and newer.fetched_at >= now
            else:
                newer = self._await_fetch_in_progress(snapshot.fetched_at)
        except KeysUnavailable:
            newer = None  # the provider cannot be reached, or fetching is paused
        finally:
            if event is not None:
                event.set()
        if newer is not None:
            snapshot = newer
            key = snapshot.keyset.find(kid, alg)
            if key is not None:
                return key, snapshot.keyset
        if time.time() >= snapshot.soft_expiry:
            # The set is stale and could not be refreshed: the kid may belong
            # to a key published since. That is a provider problem, not a bad token.
            raise KeysUnavailable("signing keys are stale and cannot be refreshed", retry_after=self._retry_after())
        raise self._rejected_kid(kid_hash, fetched=fetched)

    def _rejected_kid(self, kid_hash: str, *, fetched: bool, remember: bool = True) -> UnknownKey:
        """Record and signal a kid that is not in the set; the caller raises the result."""
        if remember:
            if len(self._missing) >= _MISSING_KIDS_MAX:
                self._missing.clear()
            self._missing[kid_hash] = time.time() + float(jwks_settings.UNKNOWN_KID_COOLDOWN)
        signals.unknown_kid.send(sender=KeyStore, issuer=self.config.issuer, kid_hash=kid_hash, fetched=fetched)
        return UnknownKey()

    def _take_local_cooldown(self, now: float) -> threading.Event | None:
        """This process's turn to refetch for an unknown kid, or ``None`` during its cooldown."""
        with self._state_lock:
            if now < self._local_cooldown_until:
                return None
            self._local_cooldown_until = now + float(jwks_settings.UNKNOWN_KID_COOLDOWN)
            event = self._kid_fetch_done = threading.Event()
            return event

    def _take_cooldown(self) -> bool:
        """The shared unknown-kid cooldown: at most one refetch per window across workers."""
        cooldown = float(jwks_settings.UNKNOWN_KID_COOLDOWN)
        seconds = max(1, math.ceil(cooldown))
        now = time.time()
        if self._cache.call("add", self._k_cooldown, now, seconds, default=None) is not False:
            return True
        # Taken: by another worker within the window, or by an entry we did not
        # write (garbage, or one that never expires), which must not stop refetching.
        taken_at = self._cache.call("get", self._k_cooldown)
        if is_finite_number(taken_at) and now - seconds - 1 <= taken_at <= now + 1:
            return False
        self._cache.call("delete", self._k_cooldown)
        return self._cache.call("add", self._k_cooldown, now, seconds, default=None) is not False

    def _await_fetch_in_progress(self, since: float) -> Snapshot | None:
        """During the cooldown: wait for a fetch already under way (a thread here or another worker)."""
        event = self._kid_fetch_done
        if event is not None and not event.is_set():
            event.wait(self._lock_timeout())
            newer = self._newer_than(since, time.time())
            if newer is not None:
                return newer
        if self._cache.call("get", self._k_lock) is not None:
            return self._wait_for_other_worker(since, time.time() + self._lock_timeout())
        return None

    # -- the shared cache, never trusted and never fatal ------------------------------
    def _read_entry(self, now: float) -> Snapshot | None:
        entry = self._cache.call("get", self._k_entry)
        if entry is None:
            return None
        local = self._snapshot
        try:
            if not isinstance(entry, dict) or entry.get("v") != _ENTRY_VERSION:
                raise ValueError("unexpected entry format")
            times = [entry[k] for k in ("fetched_at", "soft", "hard")]
            if not all(is_finite_number(t) for t in times):
                raise ValueError("invalid times")
            fetched_at, soft, hard = (float(t) for t in times)
            if not fetched_at <= soft <= hard:
                raise ValueError("invalid times")
            if hard <= now:
                return None
            if local is not None and local.fetched_at == fetched_at:
                return local  # same set: keep the parsed keys
            uri = entry["uri"]
            document = entry["jwks"]
            if not isinstance(uri, str) or not isinstance(document, str):
                raise ValueError("invalid entry members")
            keyset = KeySet.from_document(json.loads(document))
            if not keyset.keys:
                raise ValueError("no usable key")
        except (KeyError, TypeError, ValueError, RecursionError) as exc:
            logger.warning("Ignoring a corrupt cached key set for %s: %s", self.config.issuer, exc)
            self._cache.call("delete", self._k_entry)
            return None
        return Snapshot(keyset, fetched_at, soft, hard, uri, "shared cache")


def _describe(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "source": snapshot.source,
        "uri": snapshot.uri,
        "fetched_at": snapshot.fetched_at,
        "soft_expiry": snapshot.soft_expiry,
        "hard_expiry": snapshot.hard_expiry,
        "keys": [key.kid for key in snapshot.keyset.keys],
        "rejected": [list(item) for item in snapshot.keyset.rejected],
    }
