"""The public key of a proof's ``jwk`` header, through the same checks as a JWKS key, and its thumbprint.

A client signs every proof with the same key, and checking a key (parsing,
the curve and ROCA checks, the thumbprint) costs more than verifying the
proof's signature; so each process keeps the last ``KEY_MEMO_SIZE`` keys
that passed, by their exact JSON. Only keys that passed are kept: a refused
one is checked again each time it comes.
"""

from __future__ import annotations

import json
from typing import Any

from jwks_auth.keys.jwks import PRIVATE_MEMBERS, VerificationKey, parse_jwk
from jwks_auth.reasons import Reason
from jwks_auth.sender.errors import ProofError
from jwks_auth.utils.lru import BoundedLRU

#: A proof's key needs no kid; ``parse_jwk`` does, so one is lent for the checks.
_LENT_KID = "dpop-proof-key"
#: How many checked proof keys a process keeps.
KEY_MEMO_SIZE = 1024


class CheckedKeys(BoundedLRU[str, VerificationKey]):
    """The newest ``size`` proof keys that passed ``parse_jwk``, by the JWK's canonical JSON."""

    def __init__(self, size: int = KEY_MEMO_SIZE) -> None:
        super().__init__(size)


checked_keys = CheckedKeys()


def proof_key(jwk: Any, alg: str) -> VerificationKey:
    """The verification key of a proof's ``jwk``; ``ProofError`` if it is unusable or does not fit ``alg``.

    The same filters as for JWKS keys (``keys.parse_jwk``): no private or
    symmetric members, RSA of 2048 bits or more without the ROCA fingerprint,
    EC points on their curve, no small-order Ed25519 point, ``alg``/``kty``/
    ``crv`` consistent.
    """
    if not isinstance(jwk, dict):
        raise ProofError("DPoP proof key is not a JWK", code=Reason.DPOP_JWK)
    key = _checked(jwk)
    if not key.accepts(alg):
        raise ProofError("DPoP proof key does not match its algorithm", code=Reason.DPOP_JWK)
    return key


def jwk_thumbprint(jwk: Any) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK (``cnf.jkt``); ``ProofError`` if it is unusable."""
    if not isinstance(jwk, dict):
        raise ProofError("DPoP proof key is not a JWK", code=Reason.DPOP_JWK)
    return _checked(jwk).thumbprint


def _checked(jwk: dict[str, Any]) -> VerificationKey:
    if PRIVATE_MEMBERS & jwk.keys():
        raise ProofError("DPoP proof key holds private key material", code=Reason.DPOP_JWK)
    try:
        # Every member, in one order: a key differing in anything is another key.
        name = json.dumps(jwk, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except (TypeError, ValueError, RecursionError) as exc:  # not JSON-shaped, or nested past the limit
        raise ProofError("DPoP proof key rejected", code=Reason.DPOP_JWK) from exc
    key = checked_keys.get(name)
    if key is not None:
        return key
    candidate = dict(jwk)
    if "kid" not in candidate:
        candidate["kid"] = _LENT_KID
    try:
        key = parse_jwk(candidate)
    except Exception as exc:  # KeyRejected, or any parser fault on a hostile JWK: the proof's problem
        raise ProofError("DPoP proof key rejected", code=Reason.DPOP_JWK) from exc
    checked_keys.put(name, key)
    return key
