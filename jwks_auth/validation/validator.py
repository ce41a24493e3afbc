"""Validation of JWT access tokens against the trusted issuers' keys.

``parse_jws`` (``jws``) splits the token strictly, the issuer's key store
finds the key its header names, the signature is verified and the claims
follow RFC 9068 and the issuer's profile (``claims``). A token that is not a
JWS goes to the issuer's introspection endpoint, when one is configured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from jwks_auth.access_token import AccessToken, verified_token
from jwks_auth.conf.settings import FromSettings, IssuerConfig, import_setting, issuer_configs, jwks_settings
from jwks_auth.exceptions import (
    InvalidClaims,
    InvalidSignature,
    MalformedToken,
    RevocationUnavailable,
    RevokedToken,
    TokenError,
)
from jwks_auth.keys.jwks import KeySet, VerificationKey
from jwks_auth.keys.store import KeyStore
from jwks_auth.reasons import Reason
from jwks_auth.utils import blocking as offloop
from jwks_auth.utils.digest import sha256
from jwks_auth.utils.lru import BoundedLRU
from jwks_auth.validation.claims import DEFAULT_RULES, ClaimRules, rules_from_settings
from jwks_auth.validation.hints import explain_refusal
from jwks_auth.validation.introspection import Introspector, introspector_for
from jwks_auth.validation.jws import (
    HEADER_MEMO_SIZE,
    check_header,
    decode_header,
    decode_object,
    decode_segment,
    is_jws,
    json_object,
    parse_jws,
    signing_input,
    split_jws,
)
from jwks_auth.validation.revocations import SharedRevocations, get_revocations
from jwks_auth.validation.scopes import scopes_from_claims
from jwks_auth.validation.verified_cache import CachedToken, VerifiedTokenCache

#: The only issuer's config and store, the token's alg and kid, and the key and key set that hold it.
_WarmKey = tuple[IssuerConfig, KeyStore, str, str, VerificationKey, KeySet]


class IssuerRegistry:
    """Trusted issuers by every ``iss`` value they may use, each with its key store."""

    def __init__(self, configs: Iterable[IssuerConfig]) -> None:
        self._by_iss: dict[str, tuple[IssuerConfig, KeyStore]] = {}
        self.stores: list[KeyStore] = []
        for config in configs:
            store = KeyStore(config)
            self.stores.append(store)
            for iss in config.accepted_issuers:
                self._by_iss.setdefault(iss, (config, store))
        #: The issuer and its store when exactly one is trusted: its tokens' keys are known before their claims.
        self.only: tuple[IssuerConfig, KeyStore] | None = (
            (self.stores[0].config, self.stores[0]) if len(self.stores) == 1 else None
        )

    def get(self, iss: Any) -> tuple[IssuerConfig, KeyStore] | None:
        return self._by_iss.get(iss) if isinstance(iss, str) else None

    def __len__(self) -> int:
        return len(self.stores)


class TokenValidator:
    """Validates access tokens for every trusted issuer; one per process."""

    #: Longer tokens are refused before any parsing (the largest real access tokens are a few kB).
    max_length: int = 16384

    def __init__(
        self,
        registry: IssuerRegistry,
        *,
        max_length: int | None = None,
        cache_size: int = 4096,
        is_revoked: Callable[[Mapping[str, Any]], bool] | None = None,
        introspector: Introspector | None = None,
        rules: ClaimRules = DEFAULT_RULES,
        revocations: SharedRevocations | None = None,
    ) -> None:
        self.registry = registry
        if max_length is not None:
            self.max_length = int(max_length)
        self.cache = VerifiedTokenCache(cache_size)
        self.is_revoked = is_revoked
        self.introspector = introspector  # for opaque tokens
        self.rules = rules
        #: What Shared Signals events said (``jwks_auth.validation.revocations``); checked on every token.
        self.revocations = revocations
        #: ``check_header``'s (alg, kid) for the only issuer, by header segment: an issuer signs its tokens
        #: with one header per key, so a first-seen token's header was checked before (only passes are kept).
        self._only_headers: BoundedLRU[str, tuple[str, str]] = BoundedLRU(HEADER_MEMO_SIZE)

    @classmethod
    def from_settings(cls) -> TokenValidator:
        configs = issuer_configs()  # validates every setting: ConfigurationError
        rules = rules_from_settings()
        registry = IssuerRegistry(configs)
        return cls(
            registry,
            max_length=jwks_settings.legacy("MAX_TOKEN_LENGTH"),  # until 1.1: a subclass's max_length instead
            cache_size=jwks_settings.TOKEN_CACHE_SIZE,
            is_revoked=import_setting("IS_REVOKED"),
            introspector=introspector_for(configs, rules, registry.stores),
            rules=rules,
            revocations=get_revocations(),
        )

    def validate(self, token: str, *, use_cache: bool = True) -> AccessToken:
        """The validated token, or ``TokenError`` / ``KeysUnavailable`` (``ConfigurationError`` from settings)."""
        # _check_length and _introspector_for spelt out: two calls less for every cached token.
        if len(token) > self.max_length:
            raise MalformedToken("token too large", code=Reason.TOO_LARGE)
        introspector = self.introspector
        if introspector is not None and not is_jws(token):
            access_token = introspector.introspect(token, use_cache=use_cache)
        else:
            access_token = self._validate_jws(token, use_cache, blocking=True)
        if self.revocations is not None:
            # After the verified-token cache: a cached token is refused as soon as an event names it.
            self.revocations.check(access_token.claims, access_token.issuer)
        if self.is_revoked is not None:
            self._check_revoked(access_token)
        return access_token

    async def avalidate(self, token: str, *, use_cache: bool = True) -> AccessToken:
        """``validate`` for an event loop: the same steps, synchronous while the keys are in memory, else I/O off
        the loop.

        A key lookup that would block (cold start, unknown kid, a shared-cache
        re-read, a refresh to start) runs in ``offloop``'s threads, once for
        every coroutine that needs it; introspection and ``IS_REVOKED`` (which
        may do I/O) always run there.
        """
        self._check_length(token)
        if self._introspector_for(token) is not None:
            return await offloop.run(self.validate, token, use_cache=use_cache)
        for _ in range(2):
            try:
                access_token = self._validate_jws(token, use_cache, blocking=False)
                break
            except offloop.WouldBlock as pending:
                await offloop.once(pending.key, pending.work)
        else:
            # Still not decidable in memory (e.g. KEY_STORE["LOCAL_TTL"] 0): all of it off the loop.
            return await offloop.run(self.validate, token, use_cache=use_cache)
        if self.revocations is not None:
            await self._acheck_signals(self.revocations, access_token)
        if self.is_revoked is not None:
            await offloop.run(self._check_revoked, access_token)
        return access_token

    @staticmethod
    async def _acheck_signals(revocations: SharedRevocations, access_token: AccessToken) -> None:
        """``revocations.check`` in memory while it can; a due epoch or subject read off the loop, once."""
        for _ in range(3):
            try:
                revocations.check(access_token.claims, access_token.issuer, blocking=False)
                return
            except offloop.WouldBlock as pending:
                await offloop.once(pending.key, pending.work)
        await offloop.run(revocations.check, access_token.claims, access_token.issuer)

    def _check_length(self, token: str) -> None:
        """The one length rule, checked before anything else reads the token."""
        if len(token) > self.max_length:
            raise MalformedToken("token too large", code=Reason.TOO_LARGE)

    def _introspector_for(self, token: str) -> Introspector | None:
        """The introspector that asks ``token``'s issuer about it (RFC 7662): for a reference token (not a JWS)
        when introspection is configured; ``None`` when the token is checked here."""
        return self.introspector if self.introspector is not None and not is_jws(token) else None

    def _validate_jws(self, token: str, use_cache: bool, *, blocking: bool) -> AccessToken:
        """A JWS access token, without the revocation check; ``WouldBlock`` for I/O unless ``blocking``."""
        now = time.time()
        digest = sha256(token.encode("utf-8", "surrogatepass"))
        if use_cache:
            entry = self.cache.get(digest, now)
            if entry is not None:
                if entry.store.has_key(
                    entry.kid, entry.alg, entry.thumbprint, entry.keyset, blocking=blocking, now=now
                ):
                    return entry.token
                self.cache.discard(digest)
        header_b64, payload_b64, signature_b64 = split_jws(token, self.max_length)
        header = decode_header(header_b64)
        warm = self._warm_key(header_b64, header, now)
        if warm is not None:
            # One issuer, its key in memory: the signature is checked before the payload is read, so a forged
            # token costs no JSON parse of its claims (and is refused as a bad signature whatever they say).
            config, store, alg, kid, key, keyset = warm
            payload = decode_segment(payload_b64)  # its alphabet first: a malformed token is refused as malformed
            if not key.verify(alg, signing_input(token, header_b64, payload_b64), decode_segment(signature_b64)):
                raise InvalidSignature()
            claims = json_object(payload)
            if self.registry.get(claims.get("iss")) is None:
                raise InvalidClaims("untrusted issuer", code=Reason.UNTRUSTED_ISSUER)
        else:
            claims = decode_object(payload_b64)
            signature = decode_segment(signature_b64)
            found = self.registry.get(claims.get("iss"))
            if found is None:
                raise InvalidClaims("untrusted issuer", code=Reason.UNTRUSTED_ISSUER)
            config, store = found
            try:
                alg, kid = check_header(header, config)
            except MalformedToken as exc:
                explain_refusal(exc, header, claims, config)  # e.g. another provider's typ: name PROFILE
                raise
            key, keyset = store.get_key(kid, alg, blocking=blocking)
            if not key.verify(alg, signing_input(token, header_b64, payload_b64), signature):
                raise InvalidSignature()
        try:
            self.rules.check(claims, config, now)
        except TokenError as exc:
            explain_refusal(exc, header, claims, config)  # a close audience, another profile's claims
            raise
        access_token = verified_token(
            MappingProxyType(header),
            MappingProxyType(claims),
            config.issuer,
            scopes_from_claims(claims, config.scope_claims),
            config,
        )
        if use_cache:
            cached = CachedToken(access_token, float(claims["exp"]), store, kid, alg, key.thumbprint, keyset)
            self.cache.put(digest, cached)
        return access_token

    def _warm_key(self, header_b64: str, header: dict[str, Any], now: float) -> _WarmKey | None:
        """The only issuer's config, store, alg, kid, key and key set, when its key is in memory; else ``None``.

        A header its issuer refuses, an unknown kid or a key set that needs I/O go the long way (claims
        first), which gives the same answers as before this shortcut existed.
        """
        only = self.registry.only
        if only is None:
            return None
        config, store = only
        checked = self._only_headers.get(header_b64)
        if checked is None:
            try:
                checked = check_header(header, config)
            except MalformedToken:
                return None
            self._only_headers.put(header_b64, checked)
        alg, kid = checked
        found = store.warm_key(kid, alg, now)
        return None if found is None else (config, store, alg, kid, found[0], found[1])

    def _check_revoked(self, token: AccessToken) -> None:
        if self.is_revoked is None:
            return
        try:
            revoked = self.is_revoked(token.claims)
        except Exception as exc:  # the revocation backend is down: fail closed, as 503
            raise RevocationUnavailable(f"revocation check failed: {type(exc).__name__}") from exc
        if revoked:
            raise RevokedToken()


_validator = FromSettings(lambda: TokenValidator.from_settings())


def get_validator() -> TokenValidator:
    """The process-wide validator, built from the settings on first use."""
    return _validator.get()


__all__ = [
    "AccessToken",
    "IssuerRegistry",
    "TokenValidator",
    "TokenError",
    "get_validator",
    "parse_jws",
    "scopes_from_claims",
]
