"""Validation of JWT access tokens against the trusted issuers' keys.

The compact JWS is parsed here, strictly, rather than by PyJWT: exactly
three unpadded canonical base64url segments, UTF-8 JSON objects without
duplicate names, a header of known members only (no ``jwk``, ``jku``,
``x5u``, ``x5c``, ``crit``, ``zip``, ``cty`` or ``b64``), an algorithm from
the issuer's allowlist and a key from that issuer's JWKS. Claims follow
RFC 9068 and the issuer's profile; nothing here can be switched off.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from jwks_auth.access_token import AccessToken
from jwks_auth.conf import IssuerConfig, import_setting, issuer_configs, jwks_settings, normalise_typ, on_reset
from jwks_auth.exceptions import (
    ExpiredToken,
    InvalidClaims,
    InvalidSignature,
    KeysUnavailable,
    MalformedToken,
    RevokedToken,
    TokenError,
)
from jwks_auth.introspection import Introspector, introspector_for
from jwks_auth.keys import algorithm_allowed
from jwks_auth.keystore import KeyStore
from jwks_auth.numbers import is_finite_number
from jwks_auth.reasons import Reason
from jwks_auth.scopes import scopes_from_claims
from jwks_auth.token_cache import CachedToken, VerifiedTokenCache

#: Header members a token may carry. Anything else, including the members
#: that would let a token choose its own key, is refused.
ALLOWED_HEADER_MEMBERS = frozenset({"alg", "kid", "typ", "x5t", "x5t#S256"})
#: Claims that only ID tokens carry.
ID_TOKEN_CLAIMS = ("at_hash", "c_hash", "s_hash")
STRING_CLAIMS = ("iss", "sub", "jti", "client_id", "azp", "cid", "token_use")
MAX_KID_LENGTH = 512

_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)", re.ASCII)
# For canonical base64url the unused low bits of the last character are zero.
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}


def _b64decode(segment: str) -> bytes:
    remainder = len(segment) % 4
    if remainder == 1 or (remainder and segment[-1] not in _CANONICAL_LAST[remainder]):
        raise MalformedToken()
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-remainder % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedToken() from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One strict decoder for every segment; json.loads would build one per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


def _json_object(segment: str) -> dict[str, Any]:
    try:
        text = _b64decode(segment).decode("utf-8")
        value = _DECODER.decode(text)
        if "\\u" in text:
            # An escaped lone surrogate ("\ud800") is not a character (RFC 7493
            # 2.1); kept, it would break every later encoding of the claims.
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError) as exc:
        raise MalformedToken() from exc
    if not isinstance(value, dict):
        raise MalformedToken()
    return value


def parse_jws(token: str, max_length: int) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split a compact JWS into header, claims, signing input and signature."""
    if len(token) > max_length:
        raise MalformedToken("token too large", code=Reason.TOO_LARGE)
    match = _JWS.fullmatch(token)
    if match is None:
        raise MalformedToken()
    header_b64, payload_b64, signature_b64 = match.groups()
    header = _json_object(header_b64)
    claims = _json_object(payload_b64)
    signature = _b64decode(signature_b64)
    signing_input = token[: len(header_b64) + len(payload_b64) + 1].encode("ascii")
    return header, claims, signing_input, signature


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

    def get(self, iss: Any) -> tuple[IssuerConfig, KeyStore] | None:
        return self._by_iss.get(iss) if isinstance(iss, str) else None

    def __len__(self) -> int:
        return len(self.stores)


def check_header(header: Mapping[str, Any], config: IssuerConfig) -> tuple[str, str]:
    """Apply the header policy; return ``(alg, kid)``."""
    if not header.keys() <= ALLOWED_HEADER_MEMBERS:
        raise MalformedToken("unsupported header parameter", code=Reason.HEADER)
    alg = header.get("alg")
    if type(alg) is not str or not algorithm_allowed(alg, config.algorithms):
        raise MalformedToken("algorithm not allowed", code=Reason.ALG)
    kid = header.get("kid")
    if type(kid) is not str or not kid or len(kid) > MAX_KID_LENGTH:
        raise MalformedToken("missing or invalid key id", code=Reason.BAD_KID)
    typ = header.get("typ", None)
    if "typ" in header and type(typ) is not str:
        raise MalformedToken("token type not accepted", code=Reason.TYP)
    if normalise_typ(typ) not in config.token_types:
        raise MalformedToken("token type not accepted", code=Reason.TYP)
    for name in ("x5t", "x5t#S256"):
        if name in header and type(header[name]) is not str:
            raise MalformedToken("unsupported header parameter", code=Reason.HEADER)
    return alg, kid


def check_claims(claims: Mapping[str, Any], config: IssuerConfig, now: float) -> None:
    """Registered claims, audience and profile rules; raises ``TokenError``."""
    for name in config.required_claims:
        if claims.get(name) is None or claims[name] == "":
            raise InvalidClaims(f"missing required claim {name}", code=Reason.MISSING_CLAIM)
    if config.required_one_of and all(claims.get(name) is None for name in config.required_one_of):
        raise InvalidClaims(f"missing one of the claims {', '.join(config.required_one_of)}", code=Reason.MISSING_CLAIM)
    for name in STRING_CLAIMS:
        if name in claims and type(claims[name]) is not str:
            raise InvalidClaims(f"invalid {name} claim")
    if claims["iss"] not in config.accepted_issuers:
        raise InvalidClaims("invalid issuer", code=Reason.UNTRUSTED_ISSUER)
    leeway = config.leeway
    exp = claims["exp"]
    if not is_finite_number(exp):
        raise InvalidClaims("invalid exp claim")
    # RFC 7519 4.1.4: refused "on or after" exp; nbf (4.1.5) and iat are
    # accepted up to and including now + leeway, the mirror image.
    if now >= exp + leeway:
        raise ExpiredToken()
    for name, message, code in (
        ("nbf", "token not yet valid", Reason.NOT_YET_VALID), ("iat", "token issued in the future", Reason.ISSUED_IN_FUTURE),
    ):
        value = claims.get(name)
        if value is None:
            if name in claims:
                raise InvalidClaims(f"invalid {name} claim")
            continue
        if not is_finite_number(value):
            raise InvalidClaims(f"invalid {name} claim")
        if value > now + leeway:
            raise InvalidClaims(message, code=code)
    audience = claims.get(config.audience_claim)
    values = [audience] if isinstance(audience, str) else audience
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(item, str) for item in values)
        or config.audiences.isdisjoint(values)
    ):
        raise InvalidClaims("invalid audience", code=Reason.AUDIENCE)
    for name, expected in config.claim_values.items():
        if claims.get(name) != expected:
            raise InvalidClaims(f"invalid {name} claim", code=Reason.CLAIM_VALUE)
    if any(name in claims for name in ID_TOKEN_CLAIMS):
        raise InvalidClaims("an ID token is not an access token", code=Reason.ID_TOKEN)


class TokenValidator:
    """Validates access tokens for every trusted issuer; one per process."""

    def __init__(
        self,
        registry: IssuerRegistry,
        *,
        max_length: int = 16384,
        cache_size: int = 4096,
        is_revoked: Callable[[Mapping[str, Any]], bool] | None = None,
        introspector: Introspector | None = None,
    ) -> None:
        self.registry = registry
        self.max_length = int(max_length)
        self.cache = VerifiedTokenCache(cache_size)
        self.is_revoked = is_revoked
        self.introspector = introspector  # for opaque tokens

    @classmethod
    def from_settings(cls) -> TokenValidator:
        configs = issuer_configs()  # validates every setting: ConfigurationError
        return cls(
            IssuerRegistry(configs),
            max_length=jwks_settings.MAX_TOKEN_LENGTH,
            cache_size=jwks_settings.TOKEN_CACHE_SIZE,
            is_revoked=import_setting("IS_REVOKED"),
            introspector=introspector_for(configs),
        )

    def validate(self, token: str, *, use_cache: bool = True) -> AccessToken:
        """The validated token, or ``TokenError`` / ``KeysUnavailable`` (``ConfigurationError`` from settings)."""
        if len(token) > self.max_length:
            raise MalformedToken("token too large", code=Reason.TOO_LARGE)
        if self.introspector is not None and _JWS.fullmatch(token) is None:
            # Not a JWS: a reference token, asked about at its issuer (RFC 7662).
            access_token = self.introspector.introspect(token, use_cache=use_cache)
            self._check_revoked(access_token)
            return access_token
        now = time.time()
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        if use_cache:
            entry = self.cache.get(digest, now)
            if entry is not None:
                if entry.store.has_key(entry.kid, entry.alg, entry.thumbprint, entry.keyset):
                    self._check_revoked(entry.token)
                    return entry.token
                self.cache.discard(digest)
        header, claims, signing_input, signature = parse_jws(token, self.max_length)
        found = self.registry.get(claims.get("iss"))
        if found is None:
            raise InvalidClaims("untrusted issuer", code=Reason.UNTRUSTED_ISSUER)
        config, store = found
        alg, kid = check_header(header, config)
        key, keyset = store.get_key(kid, alg)
        if not key.verify(alg, signing_input, signature):
            raise InvalidSignature()
        check_claims(claims, config, now)
        access_token = AccessToken(
            MappingProxyType(header), MappingProxyType(claims), config.issuer,
            scopes_from_claims(claims, config.scope_claims), config,
        )
        self._check_revoked(access_token)
        if use_cache:
            cached = CachedToken(access_token, float(claims["exp"]), store, kid, alg, key.thumbprint, keyset)
            self.cache.put(digest, cached)
        return access_token

    def _check_revoked(self, token: AccessToken) -> None:
        if self.is_revoked is None:
            return
        try:
            revoked = self.is_revoked(token.claims)
        except Exception as exc:  # the revocation backend is down: fail closed, as 503
            raise KeysUnavailable(f"revocation check failed: {type(exc).__name__}") from exc
        if revoked:
            raise RevokedToken()


_validator: TokenValidator | None = None


def get_validator() -> TokenValidator:
    """The process-wide validator, built from the settings on first use."""
    global _validator
    validator = _validator
    if validator is None:
        validator = _validator = TokenValidator.from_settings()
    return validator


@on_reset
def _reset_validator() -> None:
    global _validator
    _validator = None


__all__ = ["AccessToken", "TokenValidator", "TokenError", "get_validator", "parse_jws", "scopes_from_claims"]
