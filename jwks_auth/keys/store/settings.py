"""The key store's timings and cache, read once from ``JWKS_AUTH``.

A store is given one ``KeyStoreSettings`` when it is built (as PyJWT's
``PyJWKClient`` takes its lifespan and timeout) and reads no global setting
afterwards; a settings change rebuilds the stores (see ``conf.on_reset``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from jwks_auth.conf.settings import jwks_settings
from jwks_auth.exceptions import ConfigurationError
from jwks_auth.keys.http import http_timeouts
from jwks_auth.utils.network_place import network_place

#: The requests one refresh may make one after another: OpenID discovery, RFC 8414 metadata when that answers
#: 404 (``discovery._discover``), then the JWKS. The shared fetch lock must outlive them all.
MOST_SEQUENTIAL_FETCHES = 3


@dataclass(frozen=True)
class KeyStoreSettings:
    """Seconds unless said otherwise; from ``JWKS_AUTH["KEY_STORE"]`` (defaults: ``jwks_auth.conf.table``)."""

    cache_alias: str
    key_prefix: str
    default_ttl: float  # soft lifetime without Cache-Control
    min_ttl: float
    max_ttl: float
    stale_ttl: float  # hard limit for serving the last good set
    refresh_ahead: float
    retry_interval: float  # pause after a failed fetch
    discovery_ttl: float
    local_ttl: float  # per-process copy, before looking at the shared cache
    unknown_kid_cooldown: float
    http_timeouts: tuple[float, float]  # connect, read
    #: Where this process fetches from (``utils.network_place``): a failed fetch pauses only this place's workers.
    network_place: str = field(default_factory=network_place)

    @classmethod
    def from_settings(cls) -> KeyStoreSettings:
        s = jwks_settings
        store = s.KEY_STORE
        try:
            return cls(
                cache_alias=s.CACHE_ALIAS,
                key_prefix=str(s.CACHE_KEY_PREFIX),
                default_ttl=float(store["DEFAULT_TTL"]),
                min_ttl=float(store["MIN_TTL"]),
                max_ttl=float(store["MAX_TTL"]),
                stale_ttl=float(store["STALE_TTL"]),
                refresh_ahead=float(store["REFRESH_AHEAD"]),
                retry_interval=float(store["RETRY_INTERVAL"]),
                discovery_ttl=float(store["DISCOVERY_TTL"]),
                local_ttl=float(store["LOCAL_TTL"]),
                unknown_kid_cooldown=float(store["UNKNOWN_KID_COOLDOWN"]),
                http_timeouts=http_timeouts(),
            )
        except (TypeError, ValueError) as exc:
            raise ConfigurationError("a JWKS_AUTH timing setting is not a number (see manage.py check)") from exc

    def soft_ttl(self, max_age: int | None) -> float:
        """The provider's ``max-age`` within ``KEY_STORE["MIN_TTL"]``..``KEY_STORE["MAX_TTL"]``."""
        ttl = self.default_ttl if max_age is None else float(max_age)
        return min(max(ttl, self.min_ttl), self.max_ttl)

    def hard_ttl(self, soft_ttl: float) -> float:
        return max(soft_ttl, self.stale_ttl)

    def refresh_at(self, fetched_at: float, soft_expiry: float) -> float:
        """When a background refresh starts: ``KEY_STORE["REFRESH_AHEAD"]`` early, at most a quarter of the lifetime."""
        return soft_expiry - min(self.refresh_ahead, (soft_expiry - fetched_at) / 4)

    @property
    def lock_timeout(self) -> int:
        """Longest a fetch may take, plus a margin: ``MOST_SEQUENTIAL_FETCHES`` requests, each within its timeouts."""
        return math.ceil(sum(self.http_timeouts) * MOST_SEQUENTIAL_FETCHES) + 2

    @property
    def error_ttl(self) -> int:
        """How long the last fetch error stays in the shared cache."""
        return max(60, math.ceil(self.stale_ttl))

    @property
    def retry_after(self) -> int:
        """``Retry-After`` for a failed fetch."""
        return max(1, math.ceil(self.retry_interval))
