"""Whether every configured issuer has a usable key set, within a deadline.

A probe loads missing keys (one fetch per issuer, single-flight as for
requests) in a helper thread and waits at most ``readyz_timeout`` (jwks_auth.ops.views)
seconds; a load still running then goes on, and the next probe waits for
that same load instead of starting another. Reasons are fixed codes: no
provider URL, error text or token reaches the answer.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from jwks_auth.exceptions import ConfigurationError, KeysUnavailable
from jwks_auth.keys.store import KeyStore
from jwks_auth.validation.validator import get_validator

_loads: dict[str, Future[Any]] = {}
_loads_lock = threading.Lock()


@dataclass(frozen=True)
class IssuerReadiness:
    issuer: str
    ready: bool
    reason: str | None = None  # "loading", "keys_unavailable" or "error"
    keys: int = 0
    age: float | None = None
    stale: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ready": self.ready, "keys": self.keys}
        if self.reason:
            data["reason"] = self.reason
        if self.age is not None:
            data["age_seconds"] = round(self.age, 1)
            data["stale"] = self.stale
        return data


@dataclass(frozen=True)
class Readiness:
    ready: bool
    issuers: tuple[IssuerReadiness, ...]
    reason: str | None = None  # set when no issuer could be looked at

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": "ready" if self.ready else "unavailable"}
        if self.reason:
            data["reason"] = self.reason
        data["issuers"] = {item.issuer: item.as_dict() for item in self.issuers}
        return data


def _load(store: Any) -> Future[Any]:
    """The running load of ``store``'s keys, or a new one."""
    with _loads_lock:
        future = _loads.get(store.id)
        if future is not None and not future.done():
            return future
        future = Future()
        _loads[store.id] = future

    def run() -> None:
        try:
            future.set_result(store.snapshot())
        except BaseException as exc:  # handed to the probe, which answers 503
            future.set_exception(exc)

    try:
        threading.Thread(target=run, name=f"jwks-ready-{store.id[:8]}", daemon=True).start()
    except RuntimeError as exc:  # no thread to spare: this probe answers "error" (503), the next one tries again
        future.set_exception(exc)
    return future


def _issuer_readiness(store: Any, future: Future[Any], deadline: float) -> IssuerReadiness:
    issuer = store.config.issuer
    try:
        snapshot = future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        return IssuerReadiness(issuer, False, "loading")
    except KeysUnavailable:
        return IssuerReadiness(issuer, False, "keys_unavailable")
    except Exception:  # anything else is a bug or a misconfiguration: not ready, and no 500
        return IssuerReadiness(issuer, False, "error")
    now = time.time()
    # A set without one usable key never gets cached (KeysUnavailable above).
    return IssuerReadiness(
        issuer, True, None, len(snapshot.keyset), max(0.0, now - snapshot.fetched_at), now >= snapshot.soft_expiry
    )


def configured_stores() -> list[KeyStore]:
    """The key store of every configured issuer; ``ConfigurationError`` (or a bad value) if unusable."""
    return list(get_validator().registry.stores)


def stores_or_none() -> list[KeyStore]:
    """``configured_stores``, or none when the settings cannot work (reported by the checks and by every 503)."""
    try:
        return configured_stores()
    except (ConfigurationError, ValueError, TypeError, KeyError):
        return []


def check_readiness(timeout: float) -> Readiness:
    """Every configured issuer's key set, loaded if needed within ``timeout`` seconds in all."""
    try:
        stores = configured_stores()
    except (ConfigurationError, ValueError, TypeError, KeyError):
        return Readiness(False, (), "misconfigured")
    if not stores:
        return Readiness(False, (), "no_issuer")
    deadline = time.monotonic() + max(0.0, timeout)
    futures = [(store, _load(store)) for store in stores]
    issuers = tuple(_issuer_readiness(store, future, deadline) for store, future in futures)
    return Readiness(all(item.ready for item in issuers), issuers)


def forget_loads() -> None:
    """Drop finished loads (tests, settings changes)."""
    with _loads_lock:
        _loads.clear()
