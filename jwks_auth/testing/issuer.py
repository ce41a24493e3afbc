"""``FakeIssuer``: the issuer of the project's ``JWKS_AUTH``, impersonated in process with real keys.

It serves the issuer's discovery document and JWKS through the library's own
fetch path (a transport mounted in ``jwks_auth.keys.http``: no socket, no
network) and mints tokens signed with its keys, shaped by the issuer's
profile. The project's settings are used as they are, so every test checks
them: the issuer, audiences, profile, scope claims, algorithms, DPoP policy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from jwks_auth.access_token import AccessToken
from jwks_auth.conf.settings import IssuerConfig, issuer_configs
from jwks_auth.keys.http import mount_transport, unmount_transport
from jwks_auth.testing.claims import access_claims, default_alg, default_typ
from jwks_auth.testing.isolation import Isolation
from jwks_auth.testing.jose import IssuerKey, compact_jws
from jwks_auth.testing.sender import ClientCertificate, DPoPKey
from jwks_auth.testing.transport import Answer, IssuerTransport
from jwks_auth.validation.scopes import scopes_from_claims

DISCOVERY_PATH = "/.well-known/openid-configuration"
KID = "test-key"
#: Seconds a minted token is good for, unless ``expires_in`` says otherwise.
LIFETIME = 300


def configured_issuer(issuer: str | None = None) -> IssuerConfig:
    """The ``IssuerConfig`` of ``issuer`` (its URL or an alias), or of the first configured issuer."""
    configs = issuer_configs()
    for config in configs:
        if issuer is None or issuer == config.issuer or issuer in config.aliases:
            return config
    known = ", ".join(config.issuer for config in configs) or "none"
    raise LookupError(f"JWKS_AUTH has no issuer {issuer!r} to impersonate (configured: {known})")


def _scope_list(scopes: Iterable[str] | str | None) -> list[str] | None:
    if scopes is None:
        return None
    return [piece for piece in scopes.split(" ") if piece] if isinstance(scopes, str) else list(scopes)


class FakeIssuer:
    """One configured issuer, impersonated; a context manager (``start``/``stop``).

    ``isolate`` (the default) gives the test its own jwks_auth state while the
    issuer runs (``jwks_auth.testing.isolation``); the pytest plugin isolates
    each test once, for every fake issuer it starts.
    """

    def __init__(self, issuer: str | None = None, *, isolate: bool = True, settings: Any = None) -> None:
        self.issuer = configured_issuer(issuer).issuer
        self._isolation = Isolation(settings) if isolate else None
        self._generation = 1
        # The JWKS is served from the library's fetch threads while the test mints: one key per alg and generation.
        self._lock = threading.Lock()
        self._keys: dict[str, IssuerKey] = {}  # by alg, the current generation's
        self._retired: list[IssuerKey] = []  # older generations still published
        self.transport = IssuerTransport({})
        self._mounted: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeIssuer:
        if self._isolation is not None:
            self._isolation.__enter__()
        discovery = self.issuer.rstrip("/") + DISCOVERY_PATH
        jwks_uri = self.jwks_uri
        self.transport.routes = {urlsplit(discovery).path: self._discovery, urlsplit(jwks_uri).path: self._jwks}
        # Exactly these two URLs: issuers on one host (tenants) each answer their own.
        for url in dict.fromkeys((discovery, jwks_uri)):
            previous = mount_transport(url, self.transport)
            if previous is not None and previous is not self.transport:
                mount_transport(url, previous)
                self.stop()
                raise ValueError(
                    f"{url} is served by another fake issuer already: issuers that share a JWKS URI "
                    "cannot be impersonated apart"
                )
            self._mounted.append(url)
        return self

    def stop(self) -> None:
        for url in self._mounted:
            unmount_transport(url, self.transport)
        self._mounted.clear()
        if self._isolation is not None:
            self._isolation.__exit__(None, None, None)

    def __enter__(self) -> FakeIssuer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what it impersonates -----------------------------------------------------------------------
    @property
    def config(self) -> IssuerConfig:
        """The issuer's settings as they are now (a test may change them)."""
        return configured_issuer(self.issuer)

    @property
    def jwks_uri(self) -> str:
        return self.config.jwks_uri or self.issuer.rstrip("/") + "/.well-known/jwks.json"

    def jwks(self) -> dict[str, Any]:
        """The key set it publishes: the current keys, then the retired ones still published."""
        self._signing_key(default_alg(self.config))
        with self._lock:
            published = (*self._keys.values(), *self._retired)
        return {"keys": [key.jwk() for key in published]}

    @property
    def jwks_fetches(self) -> int:
        """How many times the JWKS was fetched (a cache hit is not a fetch)."""
        return self.transport.hits[urlsplit(self.jwks_uri).path]

    def _discovery(self) -> Answer:
        document = {"issuer": self.issuer, "jwks_uri": self.jwks_uri, "response_types_supported": ["code"]}
        document["id_token_signing_alg_values_supported"] = sorted(self.config.algorithms)
        return 200, document, {}

    def _jwks(self) -> Answer:
        return 200, self.jwks(), {"Content-Type": "application/jwk-set+json"}

    # -- keys -------------------------------------------------------------------------------------
    def _signing_key(self, alg: str) -> IssuerKey:
        main = alg == default_alg(self.config)
        with self._lock:
            key = self._keys.get(alg)
            if key is None:
                kid = f"{KID}-{self._generation}" if main else f"{KID}-{self._generation}-{alg}"
                key = self._keys[alg] = IssuerKey.generate(kid, alg)
            return key

    def rotate(self, *, retire: bool = False) -> None:
        """Sign with new keys (new kids) from now on. The old ones stay published, as providers keep
        a retired key for a while, unless ``retire``: then tokens signed with them stop validating
        once the library fetches the new set (as it does for the first token with a new kid)."""
        with self._lock:
            self._retired = [] if retire else [*self._keys.values(), *self._retired]
            self._keys = {}
            self._generation += 1

    # -- provider behaviour --------------------------------------------------------------------------
    @contextmanager
    def down(self) -> Iterator[None]:
        """The provider unreachable: fetches fail; keys the library holds still serve (a cold key: 503)."""
        before, self.transport.down = self.transport.down, True
        try:
            yield
        finally:
            self.transport.down = before

    @contextmanager
    def slow(self, seconds: float) -> Iterator[None]:
        """Each answer takes ``seconds``; longer than the fetch deadline (``HTTP["TIMEOUT"]``) is a failed fetch."""
        before, self.transport.delay = self.transport.delay, float(seconds)
        try:
            yield
        finally:
            self.transport.delay = before

    # -- tokens -----------------------------------------------------------------------------------
    def claims(
        self, scopes: Iterable[str] | str | None = None, *, expires_in: float = LIFETIME, **claims: Any
    ) -> dict[str, Any]:
        """The claims ``token`` would sign: shaped by the profile; a claim given as ``None`` is left out."""
        return access_claims(self.config, _scope_list(scopes), expires_in, claims)

    def token(
        self,
        scopes: Iterable[str] | str | None = None,
        *,
        expires_in: float = LIFETIME,
        alg: str | None = None,
        headers: Mapping[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A signed access token; ``expires_in`` negative for an expired one, ``alg`` default the first allowed.

        ``headers`` change the JOSE header (``None`` removes a member); claims given
        as keywords replace the profile's (``None`` removes one).
        """
        config = self.config
        alg = alg or default_alg(config)
        key = self._signing_key(alg)
        header: dict[str, Any] = {"alg": alg, "kid": key.kid, "typ": default_typ(config)}
        header.update(headers or {})
        header = {name: value for name, value in header.items() if value is not None}
        return compact_jws(header, self.claims(scopes, expires_in=expires_in, **claims), key.private_key)

    def access_token(self, scopes: Iterable[str] | str | None = None, **claims: Any) -> AccessToken:
        """An ``AccessToken`` as validation would give it, built without signing or validating anything
        (for ``force_token``)."""
        config = self.config
        body = self.claims(scopes, **claims)
        header = {"alg": default_alg(config), "kid": f"{KID}-{self._generation}", "typ": default_typ(config)}
        return AccessToken(
            header={k: v for k, v in header.items() if v is not None},
            claims=body,
            issuer=config.issuer,
            scopes=scopes_from_claims(body, config.scope_claims),
            config=config,
        )

    def authorize(self, client: Any, scopes: Iterable[str] | str | None = None, **claims: Any) -> str:
        """Mint a token and have ``client`` send it as ``Authorization: Bearer`` on every request
        (DRF's ``APIClient``, Django's ``Client`` and ``AsyncClient``, Ninja's ``TestClient``)."""
        token = self.token(scopes, **claims)
        set_authorization(client, f"Bearer {token}")
        return token

    # -- sender-constrained tokens --------------------------------------------------------------------
    def dpop_key(self, alg: str = "ES256") -> DPoPKey:
        """A client's DPoP key: ``.token(...)`` bound to it, ``.headers(method, url, token)`` with a proof."""
        return DPoPKey(self, alg)

    def client_certificate(self) -> ClientCertificate:
        """A client certificate: ``.token(...)`` bound to it, ``.headers(token)`` as a trusted proxy forwards it."""
        return ClientCertificate(self)

    def __repr__(self) -> str:
        return f"<FakeIssuer {self.issuer!r}>"


def set_authorization(client: Any, value: str | None) -> None:
    """``Authorization: value`` on every request ``client`` makes from now on (``None``: none)."""
    if hasattr(client, "credentials"):  # DRF's APIClient
        client.credentials(**({"HTTP_AUTHORIZATION": value} if value else {}))
    elif isinstance(getattr(client, "defaults", None), dict):  # Django's Client and AsyncClient
        client.defaults.pop("HTTP_AUTHORIZATION", None)
        if value:
            client.defaults["HTTP_AUTHORIZATION"] = value
    elif isinstance(getattr(client, "headers", None), dict):  # Ninja's TestClient
        # It puts headers in META as HTTP_<name> without upper-casing them; jwks_auth reads HTTP_AUTHORIZATION.
        client.headers.pop("AUTHORIZATION", None)
        if value:
            client.headers["AUTHORIZATION"] = value
    else:
        raise TypeError(f"cannot set the Authorization header of a {type(client).__name__}")


__all__ = ["FakeIssuer", "configured_issuer", "set_authorization"]
