"""Where the issuer's keys are: ``JWKS_URI``, or its OpenID discovery document.

A discovered ``jwks_uri`` is kept for ``KEY_STORE["DISCOVERY_TTL"]`` here and in the shared
cache; a cached value that is not a URL we may fetch is discovered again,
and so is one whose fetch failed (the keys may have moved).
"""

from __future__ import annotations

import math

from jwks_auth.conf.settings import IssuerConfig
from jwks_auth.exceptions import FetchError
from jwks_auth.keys.http import check_url, fetch_json
from jwks_auth.keys.store.namespace import Namespace, Slot


class Discovery:
    def __init__(self, config: IssuerConfig, namespace: Namespace, ttl: float) -> None:
        self._config = config
        self._namespace = namespace
        self._ttl = ttl
        self._known: tuple[str, float] | None = None  # (uri, until)

    def jwks_uri(self, now: float) -> str:
        """The key URL to fetch; ``FetchError`` if it cannot be had."""
        if self._config.jwks_uri:
            check_url(self._config.jwks_uri)
            return self._config.jwks_uri
        known = self._known
        if known and known[1] > now:
            return known[0]
        uri = self._cached()
        if uri is None:
            uri = self._discover()
            self._namespace.set(Slot.DISCOVERY, uri, math.ceil(self._ttl))
        self._known = (uri, now + self._ttl)
        return uri

    def known(self) -> str | None:
        """The configured or last discovered key URL, without any lookup."""
        return self._config.jwks_uri or (self._known[0] if self._known else None)

    def forget(self) -> None:
        """After a failed fetch: discover again next time (nothing to forget with a fixed ``JWKS_URI``)."""
        if not self._config.jwks_uri:
            self._known = None
            self._namespace.delete(Slot.DISCOVERY)

    def reset(self) -> None:
        self._known = None

    def _cached(self) -> str | None:
        uri = self._namespace.get(Slot.DISCOVERY)
        if not isinstance(uri, str) or not uri:
            return None
        try:
            check_url(uri)
        except FetchError:
            return None  # garbage in the cache: discover again
        return uri

    def _discover(self) -> str:
        url = self._config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = fetch_json(url).document
        if document.get("issuer") != self._config.issuer:
            raise FetchError(f"{url}: discovery document names another issuer")
        uri = document.get("jwks_uri")
        if not isinstance(uri, str) or not uri:
            raise FetchError(f"{url}: discovery document has no jwks_uri")
        check_url(uri)
        return uri
