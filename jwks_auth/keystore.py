"""The key store of one issuer: two tiers, shared fetching, stale serving.

Tier 1 is a per-process snapshot of the parsed keys, re-read from tier 2
every ``LOCAL_TTL`` seconds, so a warm request costs a dict lookup. Tier 2 is
the JWKS document in Django's cache (``CACHE_ALIAS``), shared by every worker
and host that share the cache.

A set has a soft lifetime (the provider's ``Cache-Control: max-age`` within
``JWKS_MIN_TTL``..``JWKS_MAX_TTL``) after which it is refreshed in the
background, and a hard limit (``JWKS_STALE_TTL``) up to which the last good
set is served while the provider cannot be reached. A failed fetch never
removes a good set. Fetches are serialised across workers by a lock in the
shared cache (``cache.add`` with an expiry) and, after a failure, paused for
``JWKS_RETRY_INTERVAL``. Unknown ``kid`` values cause at most one fetch per
``UNKNOWN_KID_COOLDOWN`` across all workers.

The shared cache is an optimisation, never a dependency: when it fails, the
store works from its own snapshot or fetches directly, and logs the failure.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches

from jwks_auth import signals
from jwks_auth.conf import IssuerConfig, jwks_settings
from jwks_auth.exceptions import FetchError, KeysUnavailable, UnknownKey
from jwks_auth.fetch import check_url, fetch_json
from jwks_auth.keys import KeySet, VerificationKey

logger = logging.getLogger("jwks_auth.keystore")

_ENTRY_VERSION = 1
_MISSING_KIDS_MAX = 4096


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
        self._k_entry = f"{prefix}:jwks"
        self._k_discovery = f"{prefix}:discovery"
        self._k_lock = f"{prefix}:lock"
        self._k_failure = f"{prefix}:failure"
        self._k_cooldown = f"{prefix}:cooldown"
        self._snapshot: Snapshot | None = None
        self._recheck_at = 0.0
        self._fetch_lock = threading.Lock()
        self._refreshing = False
        self._next_refresh_try = 0.0
        self._local_cooldown_until = 0.0
        self._local_failure_until = 0.0
        self._missing: dict[str, float] = {}
        self._last_error: str | None = None
        self._next_stale_log = 0.0
        self._next_cache_log = 0.0
        self._jwks_uri: tuple[str, float] | None = None

    # -- public API ------------------------------------------------------------
    def get_key(self, kid: str, alg: str) -> tuple[VerificationKey, KeySet]:
        """The key for ``kid`` and ``alg`` and the set holding it.

        Raises ``UnknownKey`` or ``KeysUnavailable``.
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
        if snapshot is None or now >= self._recheck_at:
            snapshot = self._load(now)
        if now >= snapshot.refresh_at:
            if now >= snapshot.soft_expiry:
                self._stale(snapshot, now)
            self._refresh_in_background(now)
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
        """Fetch now, whatever the cache holds (``jwks_prefetch``)."""
        with self._fetch_lock:
            return self._fetch_and_store(time.time())

    def clear(self) -> None:
        """Forget the keys in this process and in the shared cache."""
        for key in (self._k_entry, self._k_discovery, self._k_lock, self._k_failure, self._k_cooldown):
            self._cache_call("delete", key)
        self._snapshot, self._recheck_at, self._jwks_uri = None, 0.0, None
        self._missing.clear()
        self._local_failure_until = self._local_cooldown_until = 0.0

    def cached(self) -> Snapshot | None:
        """The set held in the shared cache or this process, without fetching."""
        return self._read_entry() or self._snapshot

    def status(self) -> dict[str, Any]:
        """What is cached and how fresh it is, for ``jwks_inspect``."""
        shared = self._read_entry()
        failure = self._cache_call("get", self._k_failure)
        info: dict[str, Any] = {
            "issuer": self.config.issuer,
            "jwks_uri": self.config.jwks_uri or (self._jwks_uri or (None,))[0],
            "cache_alias": jwks_settings.CACHE_ALIAS,
            "shared": _describe(shared) if shared else None,
            "local": _describe(self._snapshot) if self._snapshot else None,
            "last_error": self._last_error or (failure.get("error") if isinstance(failure, dict) else None),
        }
        return info

    # -- loading -----------------------------------------------------------------
    def _load(self, now: float) -> Snapshot:
        shared = self._read_entry()
        local = self._snapshot
        if shared is not None and (local is None or shared.fetched_at > local.fetched_at):
            self._adopt(shared, now)
            return shared
        if local is not None and local.hard_expiry > now:
            self._recheck_at = now + self._recheck_interval(local, now)
            return local
        return self._fetch_cold(now)

    def _adopt(self, snapshot: Snapshot, now: float) -> None:
        self._snapshot = snapshot
        self._recheck_at = now + self._recheck_interval(snapshot, now)

    @staticmethod
    def _recheck_interval(snapshot: Snapshot, now: float) -> float:
        local_ttl = float(jwks_settings.LOCAL_TTL)
        if now >= snapshot.refresh_at:
            return min(local_ttl, 1.0)  # a refresh is due: look for its result soon
        return max(0.0, min(local_ttl, snapshot.refresh_at - now))

    def _fetch_cold(self, now: float) -> Snapshot:
        """No usable set at all: fetch once across workers, others wait for it."""
        with self._fetch_lock:
            shared = self._read_entry()
            if shared is not None:
                self._adopt(shared, now)
                return shared
            self._raise_if_backing_off(now)
            acquired = self._cache_call("add", self._k_lock, "1", self._lock_timeout(), default=None)
            if acquired is not False:  # True, or the cache is down: fetch ourselves
                try:
                    return self._fetch_and_store(now)
                except FetchError as exc:
                    raise KeysUnavailable(retry_after=int(jwks_settings.JWKS_RETRY_INTERVAL)) from exc
                finally:
                    if acquired:
                        self._cache_call("delete", self._k_lock)
            return self._wait_for_other_worker(now)

    def _wait_for_other_worker(self, now: float) -> Snapshot:
        deadline = now + self._lock_timeout()
        while time.time() < deadline:
            time.sleep(0.05)
            shared = self._read_entry()
            if shared is not None:
                self._adopt(shared, time.time())
                return shared
            self._raise_if_backing_off(time.time())
            if self._cache_call("get", self._k_lock) is None:
                break  # the other worker finished or died without a result
        raise KeysUnavailable("timed out waiting for another worker to fetch the keys", retry_after=1)

    def _raise_if_backing_off(self, now: float) -> None:
        if now < self._local_failure_until:
            raise KeysUnavailable(retry_after=int(self._local_failure_until - now) + 1)
        failure = self._cache_call("get", self._k_failure)
        if isinstance(failure, dict) and isinstance(failure.get("until"), (int, float)) and failure["until"] > now:
            raise KeysUnavailable(retry_after=int(failure["until"] - now) + 1)

    # -- fetching ------------------------------------------------------------------
    def _fetch_and_store(self, now: float) -> Snapshot:
        uri = "?"
        try:
            uri = self._discover_jwks_uri(now)
            result = fetch_json(uri)
            try:
                keyset = KeySet.from_document(result.document)
            except ValueError as exc:
                raise FetchError(f"{uri}: {exc}") from exc
            if not keyset.keys:
                raise FetchError(f"{uri}: the JWKS holds no usable key")
        except FetchError as exc:
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
        self._cache_call("set", self._k_entry, entry, int(snapshot.hard_expiry - fetched_at) + 1)
        self._cache_call("delete", self._k_failure)
        self._last_error = None
        self._local_failure_until = 0.0
        self._missing.clear()
        self._adopt(snapshot, fetched_at)
        logger.info("Fetched %d signing key(s) for %s from %s", len(keyset), self.config.issuer, uri)
        signals.jwks_fetched.send(
            sender=KeyStore, issuer=self.config.issuer, uri=uri, key_count=len(keyset), duration=result.duration
        )
        return snapshot

    def _record_failure(self, uri: str, exc: Exception) -> None:
        retry = float(jwks_settings.JWKS_RETRY_INTERVAL)
        until = time.time() + retry
        self._last_error = str(exc)
        self._local_failure_until = until
        self._cache_call("set", self._k_failure, {"until": until, "error": str(exc)[:500]}, int(retry) + 1)
        logger.warning("Fetching signing keys for %s failed: %s", self.config.issuer, exc)
        signals.jwks_fetch_failed.send(sender=KeyStore, issuer=self.config.issuer, uri=uri, error=str(exc))

    def _ttl(self, max_age: int | None) -> float:
        ttl = float(jwks_settings.JWKS_DEFAULT_TTL if max_age is None else max_age)
        return min(max(ttl, float(jwks_settings.JWKS_MIN_TTL)), float(jwks_settings.JWKS_MAX_TTL))

    def _lock_timeout(self) -> int:
        timeout = jwks_settings.HTTP_TIMEOUT
        total = 2 * timeout if isinstance(timeout, (int, float)) else sum(timeout)
        return int(total * 2) + 2  # discovery and JWKS, each within its timeouts

    def _discover_jwks_uri(self, now: float) -> str:
        if self.config.jwks_uri:
            check_url(self.config.jwks_uri)
            return self.config.jwks_uri
        if self._jwks_uri and self._jwks_uri[1] > now:
            return self._jwks_uri[0]
        uri = self._cache_call("get", self._k_discovery)
        if not isinstance(uri, str):
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = fetch_json(url).document
            if document.get("issuer") != self.config.issuer:
                raise FetchError(f"{url}: discovery document names another issuer")
            uri = document.get("jwks_uri")
            if not isinstance(uri, str) or not uri:
                raise FetchError(f"{url}: discovery document has no jwks_uri")
            check_url(uri)
            self._cache_call("set", self._k_discovery, uri, int(jwks_settings.DISCOVERY_TTL))
        self._jwks_uri = (uri, now + float(jwks_settings.DISCOVERY_TTL))
        return uri

    # -- refresh ahead and stale serving --------------------------------------------
    def _refresh_in_background(self, now: float) -> None:
        if self._refreshing or now < self._next_refresh_try:
            return
        self._next_refresh_try = now + 1.0
        try:
            self._raise_if_backing_off(now)
        except KeysUnavailable:
            return
        acquired = self._cache_call("add", self._k_lock, "1", self._lock_timeout(), default=None)
        if acquired is False:
            return  # another worker is refreshing; its result reaches us via the shared cache
        self._refreshing = True
        threading.Thread(target=self._background_refresh, args=(bool(acquired),), daemon=True).start()

    def _background_refresh(self, holds_lock: bool) -> None:
        try:
            with self._fetch_lock:
                self._fetch_and_store(time.time())
        except FetchError:
            pass  # logged and signalled; the current set stays in use
        except Exception:  # a background thread must never die loudly mid-request
            logger.exception("Background refresh of signing keys for %s failed", self.config.issuer)
        finally:
            if holds_lock:
                self._cache_call("delete", self._k_lock)
            self._refreshing = False

    def _stale(self, snapshot: Snapshot, now: float) -> None:
        age = now - snapshot.fetched_at
        if now >= self._next_stale_log:
            self._next_stale_log = now + float(jwks_settings.JWKS_RETRY_INTERVAL)
            logger.warning(
                "Serving stale signing keys for %s (fetched %.0f s ago; served until %.0f s)",
                self.config.issuer, age, snapshot.hard_expiry - snapshot.fetched_at,
            )
            signals.stale_keys_served.send(sender=KeyStore, issuer=self.config.issuer, age=age)

    # -- unknown kid -----------------------------------------------------------------
    def _unknown_kid(self, kid: str, alg: str, snapshot: Snapshot, now: float) -> tuple[VerificationKey, KeySet]:
        kid_hash = short_hash(kid)
        if self._missing.get(kid_hash, 0.0) > now:
            raise UnknownKey()
        # Another worker may already hold a newer set (a rotation it fetched).
        shared = self._read_entry()
        if shared is not None and shared.fetched_at > snapshot.fetched_at:
            self._adopt(shared, now)
            snapshot = shared
            key = snapshot.keyset.find(kid, alg)
            if key is not None:
                return key, snapshot.keyset
        fetched = False
        if self._may_refetch_for_unknown_kid(now):
            fetched = True
            with self._fetch_lock:
                try:
                    snapshot = self._fetch_and_store(time.time())
                except FetchError as exc:
                    # We cannot tell a new key from a forged kid while the
                    # provider is down: that is a provider problem.
                    raise KeysUnavailable(retry_after=int(jwks_settings.JWKS_RETRY_INTERVAL)) from exc
            key = snapshot.keyset.find(kid, alg)
            if key is not None:
                return key, snapshot.keyset
        if len(self._missing) >= _MISSING_KIDS_MAX:
            self._missing.clear()
        self._missing[kid_hash] = now + float(jwks_settings.UNKNOWN_KID_COOLDOWN)
        signals.unknown_kid.send(sender=KeyStore, issuer=self.config.issuer, kid_hash=kid_hash, fetched=fetched)
        raise UnknownKey()

    def _may_refetch_for_unknown_kid(self, now: float) -> bool:
        if now < self._local_cooldown_until:
            return False
        cooldown = float(jwks_settings.UNKNOWN_KID_COOLDOWN)
        self._local_cooldown_until = now + cooldown
        if now < self._local_failure_until:
            return False
        acquired = self._cache_call("add", self._k_cooldown, "1", int(cooldown) or 1, default=None)
        return acquired is not False

    # -- the shared cache, never trusted and never fatal ------------------------------
    def _read_entry(self) -> Snapshot | None:
        entry = self._cache_call("get", self._k_entry)
        if entry is None:
            return None
        local = self._snapshot
        try:
            if not isinstance(entry, dict) or entry.get("v") != _ENTRY_VERSION:
                raise ValueError("unexpected entry format")
            fetched_at, soft, hard = (float(entry[k]) for k in ("fetched_at", "soft", "hard"))
            if hard <= time.time():
                return None
            if local is not None and local.fetched_at == fetched_at:
                return local  # same set: keep the parsed keys
            uri = entry["uri"]
            keyset = KeySet.from_document(json.loads(entry["jwks"]))
            if not keyset.keys or not isinstance(uri, str):
                raise ValueError("no usable key")
        except (KeyError, TypeError, ValueError, RecursionError) as exc:
            logger.warning("Ignoring a corrupt cached key set for %s: %s", self.config.issuer, exc)
            self._cache_call("delete", self._k_entry)
            return None
        return Snapshot(keyset, fetched_at, soft, hard, uri, "shared cache")

    def _cache_call(self, method: str, *args: Any, default: Any = None) -> Any:
        try:
            cache = caches[jwks_settings.CACHE_ALIAS]
            return getattr(cache, method)(*args)
        except Exception as exc:  # a down cache backend must not fail requests
            now = time.time()
            if now >= self._next_cache_log:
                self._next_cache_log = now + 10.0
                logger.warning(
                    "Cache %r unavailable (%s); using per-process keys", jwks_settings.CACHE_ALIAS, type(exc).__name__
                )
            return default


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
