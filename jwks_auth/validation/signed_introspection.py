"""RFC 9701: an introspection answer signed by the authorization server, verified like a token of its issuer.

Asked for with ``Accept: application/token-introspection+jwt`` when the issuer's ``INTROSPECTION`` has
``JWT_RESPONSE`` (RFC 9701 4). The answer must be a compact JWS (RFC 9701 5):

* media type ``application/token-introspection+jwt``; a plain JSON answer is not accepted instead;
* header ``typ`` ``token-introspection+jwt``, an ``alg`` of the issuer's ``ALGORITHMS`` and a ``kid`` of the
  issuer's JWKS, through the same key store as its tokens (keys never from the header);
* claims ``iss`` the issuer (or one of its ``ALIASES``), ``aud`` naming ``INTROSPECTION["CLIENT_ID"]`` (this
  resource server, RFC 9701 5), ``iat`` a number neither ahead of now by more than ``LEEWAY`` nor older than
  ``MAX_RESPONSE_AGE`` (60 s, which ``LEEWAY`` does not widen: the answer names no token, so an old one must not be
  replayed), an ``exp`` if any not passed, and ``token_introspection`` the RFC 7662 answer, an object with a
  boolean ``active``.

Anything else is ``SignedResponseError``: a 503 (``CannotDecide``), never a 401. The answer could not be
trusted, so nothing is known about the token either way; and never an acceptance: the token is judged only
on a verified answer, and only a verified answer is cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jwks_auth.conf.settings import IssuerConfig
from jwks_auth.exceptions import SignedResponseError, TokenError
from jwks_auth.keys.store import KeyStore
from jwks_auth.utils.json_numbers import is_finite_number
from jwks_auth.validation.jws import check_header, parse_jws

__all__ = ["MAX_RESPONSE_AGE", "MEDIA_TYPE", "SignedResponseError", "verified_answer"]

#: RFC 9701 4 and 5: what is asked for, what must come back, and the JWS ``typ`` (``application/`` optional).
MEDIA_TYPE = "application/token-introspection+jwt"
_TOKEN_TYPES: frozenset[str | None] = frozenset({"token-introspection+jwt"})
#: Seconds a signed answer is believed after its ``iat``: it is made for the request, so a few seconds are
#: enough; this bound is ours (RFC 9701 fixes none).
MAX_RESPONSE_AGE = 60.0
#: The longest signed answer read (a JWT of an RFC 7662 answer is a few kB).
_MAX_LENGTH = 65536


def verified_answer(
    body: bytes, media_type: str, config: IssuerConfig, store: KeyStore, audience: str, now: float
) -> dict[str, Any]:
    """The RFC 7662 answer inside a verified RFC 9701 response; ``SignedResponseError`` otherwise.

    ``KeysUnavailable`` (503) when the issuer's keys cannot be had.
    """
    if media_type != MEDIA_TYPE:
        raise SignedResponseError("introspection response is not application/token-introspection+jwt")
    try:
        text = body.decode("ascii").strip()
        header, claims, data, signature = parse_jws(text, _MAX_LENGTH)
        alg, kid = check_header(header, config, token_types=_TOKEN_TYPES)
        key, _ = store.get_key(kid, alg)
    except UnicodeDecodeError as exc:
        raise SignedResponseError("introspection response is not a compact JWS") from exc
    except TokenError as exc:  # malformed, a header the policy refuses, or a kid the issuer's keys do not have
        raise SignedResponseError(f"introspection response refused: {exc.code}") from exc
    if not key.verify(alg, data, signature):
        raise SignedResponseError("introspection response signature invalid")
    return _answer(claims, config, audience, now)


def _answer(claims: Mapping[str, Any], config: IssuerConfig, audience: str, now: float) -> dict[str, Any]:
    iss = claims.get("iss")
    if type(iss) is not str or iss not in config.accepted_issuers:  # a list or object iss is not hashable
        raise SignedResponseError("introspection response iss is not the issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or audience not in audiences:
        raise SignedResponseError("introspection response aud is not this resource server")
    iat = claims.get("iat")
    # LEEWAY allows for the server's clock running ahead; the age bound is ours and is not widened by it.
    if not is_finite_number(iat) or iat > now + config.leeway or iat < now - MAX_RESPONSE_AGE:
        raise SignedResponseError("introspection response iat missing or out of range")
    if "exp" in claims and (not is_finite_number(claims["exp"]) or now >= claims["exp"] + config.leeway):
        raise SignedResponseError("introspection response expired")
    answer = claims.get("token_introspection")
    if not isinstance(answer, dict) or type(answer.get("active")) is not bool:
        raise SignedResponseError("introspection response has no token_introspection with a boolean active")
    return answer
