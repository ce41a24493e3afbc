"""Where the issuer's keys are: ``JWKS_URI``, or its discovery document.

The document is OpenID Connect Discovery's, ``<issuer>/.well-known/openid-configuration``;
when that location answers 404 or 410, RFC 8414's, with
``/.well-known/oauth-authorization-server`` inserted between the host and the
issuer's path (RFC 8414 3.1), as plain OAuth authorization servers publish it.
Either way the document's ``issuer`` must equal the configured one exactly
(OIDC Discovery 4.3, RFC 8414 3.3). An outage of the first location (a
timeout, a 5xx) is not a reason to look elsewhere: it stays an outage.

A discovered ``jwks_uri`` is kept for ``KEY_STORE["DISCOVERY_TTL"]`` here and in the shared
cache; a cached value that is not a URL we may fetch is discovered again,
and so is one whose fetch failed (the keys may have moved).
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit, urlunsplit

from jwks_auth.conf.settings import IssuerConfig
from jwks_auth.exceptions import FetchError
from jwks_auth.keys.http import HTTPStatusError, check_url, fetch_json
from jwks_auth.keys.store.namespace import Namespace, Slot

OPENID_WELL_KNOWN = "/.well-known/openid-configuration"
OAUTH_WELL_KNOWN = "/.well-known/oauth-authorization-server"
#: Answers of the OpenID location that mean "not published here" (RFC 9110 15.5.5, 15.5.11).
_NOT_HERE = frozenset({404, 410})


def openid_configuration_url(issuer: str) -> str:
    """OpenID Connect Discovery 4: the well-known path appended to the issuer."""
    return issuer.rstrip("/") + OPENID_WELL_KNOWN


def oauth_metadata_url(issuer: str) -> str:
    """RFC 8414 3.1: the well-known path inserted between the host and the issuer's path.

    ``https://as.example/tenant1`` -> ``https://as.example/.well-known/oauth-authorization-server/tenant1``.
    """
    parts = urlsplit(issuer)
    return urlunsplit((parts.scheme, parts.netloc, OAUTH_WELL_KNOWN + parts.path.rstrip("/"), "", ""))


class Discovery:
    """``metadata_url``: the one document to read (a Shared Signals transmitter's ``ssf-configuration``),
    instead of the issuer's OpenID or RFC 8414 metadata."""

    def __init__(self, config: IssuerConfig, namespace: Namespace, ttl: float, metadata_url: str | None = None) -> None:
        self._config = config
        self._namespace = namespace
        self._ttl = ttl
        self._metadata_url = metadata_url
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
        issuer = self._config.issuer
        if self._metadata_url is not None:
            return self._read(self._metadata_url)
        try:
            return self._read(openid_configuration_url(issuer))
        except HTTPStatusError as exc:
            if exc.status not in _NOT_HERE:
                raise
        return self._read(oauth_metadata_url(issuer))

    def _read(self, url: str) -> str:
        """The ``jwks_uri`` of the metadata document at ``url``, whose issuer must be ours."""
        document = fetch_json(url).document
        if document.get("issuer") != self._config.issuer:
            raise FetchError(f"{url}: discovery document names another issuer")
        uri = document.get("jwks_uri")
        if not isinstance(uri, str) or not uri:
            raise FetchError(f"{url}: discovery document has no jwks_uri")
        check_url(uri)
        return uri
