"""A SET verified like an access token: the transmitter's keys through the key store, strict JOSE, checked claims.

The transmitter's ``jwks_uri`` comes from its ``/.well-known/ssf-configuration``
(whose ``issuer`` must be the configured one), and its keys from a ``KeyStore``
of their own that reads that document as an issuer's discovery document: kept
for ``KEY_STORE["DISCOVERY_TTL"]``, read again after a failed key fetch, with
the key store's deadlines, backoff and bounded fetch lock (so rotation,
outages and unknown kids follow the key store's rules). The header is parsed as a token's: no ``jwk``/``jku``/
``x5c``/..., an ``alg`` from the transmitter's allowlist (never ``none`` or
HMAC), ``typ`` ``secevent+jwt`` (RFC 8417 2.3). The claims: ``iss`` a
configured transmitter, ``aud`` ours, ``iat`` neither in the future nor older
than ``SHARED_SIGNALS["STATE_TTL"]`` (an older event can refuse no live
token), an ``exp``, if any, not passed, a ``jti``, and ``events``.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jwks_auth.conf.settings import IssuerConfig, jwks_settings
from jwks_auth.exceptions import KeysUnavailable, MalformedToken, UnknownKey
from jwks_auth.keys.store import KeyStore
from jwks_auth.reasons import Reason
from jwks_auth.ssf.errors import ReceiverUnavailable, SETError
from jwks_auth.ssf.errors import SETErrorCode as Code
from jwks_auth.ssf.settings import Transmitter
from jwks_auth.validation.jws import (
    check_header,
    decode_header,
    decode_object,
    decode_segment,
    signing_input,
    split_jws,
)
from jwks_auth.validation.revocations import as_time

#: Longer request bodies are refused unread (a SET with one event is well under 4 kB).
MAX_SET_LENGTH = 65536
#: Seconds of clock skew allowed for a SET's iat and exp.
LEEWAY = 60.0
MAX_JTI_LENGTH = 256
#: Events one SET may carry (SSF sends one).
MAX_EVENTS = 8


@dataclass(frozen=True)
class VerifiedSET:
    transmitter: Transmitter
    #: The SET's claims: subjects and events, kept out of the repr (and so out of logs and tracebacks).
    claims: Mapping[str, Any] = field(repr=False)
    jti: str
    issued_at: float


class TransmitterKeys:
    """The key store of one transmitter: its keys at ``JWKS_URI``, else at its configuration's ``jwks_uri``."""

    def __init__(self, transmitter: Transmitter) -> None:
        self.transmitter = transmitter
        self.config = IssuerConfig(
            issuer=transmitter.issuer,
            algorithms=transmitter.algorithms,
            jwks_uri=transmitter.jwks_uri,
            token_types=frozenset({"secevent+jwt"}),
        )
        # The key store discovers, keeps (DISCOVERY_TTL), forgets after a failed fetch, backs off and bounds its
        # fetch lock: a transmitter that is down costs one bounded fetch per RETRY_INTERVAL, not one per SET.
        self.store = KeyStore(self.config, metadata_url=transmitter.configuration_url)


def verify_set(
    token: str, transmitters: Mapping[str, TransmitterKeys], authorization: str | None = None, *, pushed: bool = False
) -> VerifiedSET:
    """The verified SET; ``SETError`` (400) or ``ReceiverUnavailable`` (503).

    A pushed SET carries the ``Authorization`` header its transmitter's ``PUSH_AUTHORIZATION`` names, when set.
    """
    if len(token) > MAX_SET_LENGTH:
        raise SETError(Code.INVALID_REQUEST, "SET too large")
    try:
        header_b64, payload_b64, signature_b64 = split_jws(token, MAX_SET_LENGTH)
        header = decode_header(header_b64)
        claims = decode_object(payload_b64)
        signature = decode_segment(signature_b64)
    except MalformedToken:
        raise SETError(Code.INVALID_REQUEST, "not a signed SET") from None
    iss = claims.get("iss")
    keys = transmitters.get(iss) if isinstance(iss, str) else None
    if keys is None:
        raise SETError(Code.INVALID_ISSUER, "unknown transmitter")
    expected = keys.transmitter.push_authorization
    if pushed and expected is not None:
        given = (authorization or "").encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(given, expected.encode("utf-8", "surrogatepass")):
            raise SETError(Code.AUTHENTICATION_FAILED, "push not authorized")
    try:
        alg, kid = check_header(header, keys.config)
    except MalformedToken as exc:
        if exc.code is Reason.TYP:
            raise SETError(Code.INVALID_REQUEST, "typ must be secevent+jwt") from None
        raise SETError(Code.INVALID_KEY, "key or algorithm not acceptable") from None
    try:
        key, _ = keys.store.get_key(kid, alg)
    except UnknownKey:
        raise SETError(Code.INVALID_KEY, "signing key not found") from None
    except KeysUnavailable as exc:
        raise ReceiverUnavailable("transmitter keys unavailable", exc.retry_after) from None
    if not key.verify(alg, signing_input(token, header_b64, payload_b64), signature):
        raise SETError(Code.AUTHENTICATION_FAILED, "invalid signature")
    return _checked(keys.transmitter, claims)


def _checked(transmitter: Transmitter, claims: Mapping[str, Any]) -> VerifiedSET:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(isinstance(item, str) and item in transmitter.audiences for item in audiences):
        raise SETError(Code.INVALID_AUDIENCE, "audience not accepted")
    now = time.time()
    iat = as_time(claims.get("iat"))
    if iat is None:
        raise SETError(Code.INVALID_REQUEST, "iat missing or invalid")
    if iat > now + LEEWAY:
        raise SETError(Code.INVALID_REQUEST, "iat in the future")
    if iat < now - float(jwks_settings.SHARED_SIGNALS["STATE_TTL"]):
        raise SETError(Code.INVALID_REQUEST, "event too old")
    exp = claims.get("exp")
    expires = as_time(exp)
    if exp is not None and (expires is None or not expires + LEEWAY > now):
        raise SETError(Code.INVALID_REQUEST, "SET expired")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise SETError(Code.INVALID_REQUEST, "jti missing or invalid")
    events = claims.get("events")
    if not isinstance(events, dict) or not events or len(events) > MAX_EVENTS:
        raise SETError(Code.INVALID_REQUEST, "events missing or invalid")
    if not all(isinstance(value, dict) for value in events.values()):
        raise SETError(Code.INVALID_REQUEST, "events missing or invalid")
    return VerifiedSET(transmitter, claims, jti, iat)
