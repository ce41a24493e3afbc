"""RFC 7662 token introspection, for issuers that hand out reference (opaque) tokens.

A bearer token that is not a compact JWS is sent to the introspection
endpoint of the issuer configured with ``INTROSPECTION`` (the first such
issuer: an opaque token names no issuer, and it must never be sent to a
server that did not issue it). Per issuer::

    "INTROSPECTION": {
        "ENDPOINT": "https://idp.example.com/connect/introspect",
        "CLIENT_ID": "api1",                    # the API's own credentials
        "CLIENT_SECRET": "secret",
        "AUTH_METHOD": "client_secret_basic",   # or "client_secret_post"
        "CACHE": True,                          # False: ask on every request
        "CACHE_TTL": 60,                        # seconds, never past the token's exp
        "JWT_RESPONSE": False,                  # True: ask for and require RFC 9701 signed answers
    }

An answer is cached under a SHA-256 digest of the token (never the token
itself) in ``CACHE_ALIAS``: an active token for at most ``CACHE_TTL`` and never
beyond its ``exp`` (without ``exp`` it is not cached), an inactive one for
``CACHE_TTL``. ``active: false`` is 401 ``invalid_token``; an endpoint that
cannot be reached or answers anything but a JSON object with a boolean
``active`` is 503, and for ``KEY_STORE["RETRY_INTERVAL"]`` after that the endpoint is
not asked again by this process.

With ``JWT_RESPONSE`` the answer must be an RFC 9701 signed response, verified with the issuer's keys
through the same key store as its tokens (``jwks_auth.validation.signed_introspection``); anything else
(plain JSON, unsigned, forged, not for ``CLIENT_ID``) is a 503 like an endpoint that cannot answer, and is
never cached.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from jwks_auth.access_token import AccessToken
from jwks_auth.conf.settings import IssuerConfig, jwks_settings
from jwks_auth.conf.table import BY_NAME, INTROSPECTION_KEYS
from jwks_auth.exceptions import (  # IntrospectionUnavailable, SignedResponseError: still importable from here
    ConfigurationError,
    FetchError,
    IntrospectionUnavailable,
    InvalidClaims,
    MalformedToken,
    SignedResponseError,
)
from jwks_auth.keys.http import fetch_body, fetch_json
from jwks_auth.keys.store import KeyStore
from jwks_auth.reasons import Reason
from jwks_auth.utils.backoff import Backoff
from jwks_auth.utils.digest import sha256
from jwks_auth.utils.json_numbers import is_finite_number
from jwks_auth.utils.shared_cache import SharedCache
from jwks_auth.validation.claims import DEFAULT_RULES, ClaimRules
from jwks_auth.validation.scopes import scopes_from_claims
from jwks_auth.validation.signed_introspection import MEDIA_TYPE, verified_answer

logger = logging.getLogger("jwks_auth.validation.introspection")

#: RFC 6750 2.1 b64token.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*", re.ASCII)

#: The INTROSPECTION keys' defaults, declared in the settings table (``jwks_auth.conf.table.INTROSPECTION_KEYS``).
INTROSPECTION_DEFAULTS: dict[str, Any] = BY_NAME["INTROSPECTION"].group_defaults()
_KEYS = {key.name: key for key in INTROSPECTION_KEYS}


def introspection_settings(config: IssuerConfig) -> dict[str, Any]:
    """The issuer's INTROSPECTION dict with defaults; ``ConfigurationError`` if unusable."""
    raw = config.introspection
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"INTROSPECTION of {config.issuer} must be a dict")
    unknown = sorted(str(name) for name in raw if name not in _KEYS)
    if unknown:
        raise ConfigurationError(f"Unknown INTROSPECTION key(s) for {config.issuer}: {', '.join(unknown)}")
    for name, value in raw.items():
        expected = _KEYS[name].rule(value)
        if expected is not None:  # never the value: CLIENT_SECRET may be in it
            raise ConfigurationError(f"INTROSPECTION['{name}'] of {config.issuer} must be {expected}")
    options = {**INTROSPECTION_DEFAULTS, **raw}
    if not options["ENDPOINT"]:
        raise ConfigurationError(f"INTROSPECTION of {config.issuer} needs an ENDPOINT")
    if options["AUTH_METHOD"] != "none" and not options["CLIENT_ID"]:
        raise ConfigurationError(f"INTROSPECTION of {config.issuer} needs CLIENT_ID and CLIENT_SECRET")
    if options["JWT_RESPONSE"] and (not isinstance(options["CLIENT_ID"], str) or not options["CLIENT_ID"]):
        raise ConfigurationError(
            f"INTROSPECTION of {config.issuer} needs a CLIENT_ID with JWT_RESPONSE: the aud of the signed answers"
        )
    return options


def introspector_for(
    configs: Iterable[IssuerConfig], rules: ClaimRules = DEFAULT_RULES, stores: Iterable[KeyStore] = ()
) -> Introspector | None:
    """The introspector of the first issuer with ``INTROSPECTION``, if any, with that issuer's key store
    among ``stores`` (the validator's) for signed answers."""
    by_config = {id(store.config): store for store in stores}
    for config in configs:
        if config.introspection:
            return Introspector(config, rules, by_config.get(id(config)))
    return None


def _retry_interval() -> int:
    """``KEY_STORE["RETRY_INTERVAL"]``: how long an endpoint that failed is not asked again."""
    try:
        return int(jwks_settings.KEY_STORE["RETRY_INTERVAL"])
    except (TypeError, ValueError) as exc:
        raise ConfigurationError("KEY_STORE['RETRY_INTERVAL'] is not a number (see manage.py check)") from exc


def _form_encode(value: str) -> str:
    # RFC 6749 2.3.1: client id and secret are form-urlencoded before Basic.
    return quote(value, safe="")


class Introspector:
    """Asks one issuer's introspection endpoint about opaque tokens."""

    def __init__(self, config: IssuerConfig, rules: ClaimRules = DEFAULT_RULES, store: KeyStore | None = None) -> None:
        self.config = config
        self.rules = rules
        self.options = introspection_settings(config)
        # RFC 9701: the keys of signed answers are the issuer's, from the store its tokens use.
        self.store = store if store is not None or not self.options["JWT_RESPONSE"] else KeyStore(config)
        digest = sha256(f"{config.issuer}|{self.options['ENDPOINT']}".encode()).hex()[:16]
        self._key_prefix = f"{jwks_settings.CACHE_KEY_PREFIX}:introspect:{digest}:"
        self._backoff = Backoff(_retry_interval())
        self._cache = SharedCache(jwks_settings.CACHE_ALIAS)

    # -- public -----------------------------------------------------------------
    def introspect(self, token: str, *, use_cache: bool = True) -> AccessToken:
        """The ``AccessToken`` for an active token; ``TokenError`` or ``IntrospectionUnavailable``."""
        if _B64TOKEN.fullmatch(token) is None:
            raise MalformedToken()
        caching = use_cache and bool(self.options["CACHE"])
        digest = sha256(token.encode("ascii")).hex()
        now = time.time()
        answer = self._cache_get(digest, now) if caching else None
        if answer is None:
            answer = self._ask(token)
            if caching:
                self._cache_put(digest, answer, now)
        if answer.get("active") is not True:
            raise InvalidClaims("token not active", code=Reason.INACTIVE)
        claims = {name: value for name, value in answer.items() if name != "active"}
        self.rules.check(claims, self.config, time.time(), introspected=True)
        return AccessToken(
            MappingProxyType({}),
            MappingProxyType(claims),
            self.config.issuer,
            scopes_from_claims(claims, self.config.scope_claims),
            self.config,
        )

    # -- HTTP ---------------------------------------------------------------------------
    def _ask(self, token: str) -> dict[str, Any]:
        remaining = self._backoff.remaining(time.time())
        if remaining > 0:
            raise IntrospectionUnavailable(retry_after=int(remaining) + 1)
        try:
            return self._post(token)
        except (IntrospectionUnavailable, SignedResponseError) as exc:
            self._backoff.fail(time.time())
            logger.warning("Token introspection at %s failed: %s", self.options["ENDPOINT"], exc)
            if isinstance(exc, SignedResponseError):
                raise SignedResponseError(retry_after=int(self._backoff.interval)) from exc
            raise IntrospectionUnavailable(retry_after=int(self._backoff.interval)) from exc

    def _post(self, token: str) -> dict[str, Any]:
        options = self.options
        url = options["ENDPOINT"]
        data = {"token": token}
        if options["TOKEN_TYPE_HINT"]:
            data["token_type_hint"] = options["TOKEN_TYPE_HINT"]
        auth = None
        if options["AUTH_METHOD"] == "client_secret_basic":
            auth = (_form_encode(str(options["CLIENT_ID"])), _form_encode(str(options["CLIENT_SECRET"] or "")))
        elif options["AUTH_METHOD"] == "client_secret_post":
            data["client_id"] = str(options["CLIENT_ID"])
            data["client_secret"] = str(options["CLIENT_SECRET"] or "")
        try:
            if options["JWT_RESPONSE"]:
                fetched = fetch_body(url, data=data, auth=auth, accept=MEDIA_TYPE)
            else:
                document = fetch_json(url, data=data, auth=auth).document
        except FetchError as exc:
            raise IntrospectionUnavailable(str(exc)) from exc
        if options["JWT_RESPONSE"]:
            assert self.store is not None  # built with JWT_RESPONSE
            audience = str(options["CLIENT_ID"])
            return verified_answer(fetched.body, fetched.media_type, self.config, self.store, audience, time.time())
        if type(document.get("active")) is not bool:
            raise IntrospectionUnavailable(f"POST {url}: response has no boolean 'active'")
        return document

    # -- cache ------------------------------------------------------------------------------
    def _ttl(self, answer: Mapping[str, Any], now: float) -> float:
        ttl = float(self.options["CACHE_TTL"])  # a number >= 0 (introspection_settings)
        if answer.get("active") is not True:
            return ttl
        exp = answer.get("exp")
        if not is_finite_number(exp):
            return 0.0  # how long it lives is unknown: do not keep it
        return min(ttl, float(exp) - now)

    def _cache_put(self, digest: str, answer: dict[str, Any], now: float) -> None:
        ttl = self._ttl(answer, now)
        if ttl < 1:
            return
        entry = {"until": now + ttl, "answer": json.dumps(answer)}
        self._cache.set(self._key_prefix + digest, entry, int(ttl))

    def _cache_get(self, digest: str, now: float) -> dict[str, Any] | None:
        entry = self._cache.get(self._key_prefix + digest)
        if not isinstance(entry, dict):
            return None
        try:
            if float(entry["until"]) <= now:
                return None
            answer = json.loads(entry["answer"])
        except (KeyError, TypeError, ValueError):
            return None
        return answer if isinstance(answer, dict) else None

    def clear(self, token: str) -> None:
        """Forget the cached answer for ``token`` (e.g. after revoking it)."""
        self._cache.delete(self._key_prefix + sha256(token.encode("ascii")).hex())
