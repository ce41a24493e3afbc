"""The public key of a proof's ``jwk`` header, through the same checks as a JWKS key, and its thumbprint."""
from __future__ import annotations

from typing import Any

from jwks_auth.dpop.errors import ProofError
from jwks_auth.keys import PRIVATE_MEMBERS, VerificationKey, parse_jwk
from jwks_auth.reasons import Reason

#: A proof's key needs no kid; ``parse_jwk`` does, so one is lent for the checks.
_LENT_KID = "dpop-proof-key"


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
    candidate = dict(jwk)
    if "kid" not in candidate:
        candidate["kid"] = _LENT_KID
    try:
        return parse_jwk(candidate)
    except Exception as exc:  # KeyRejected, or any parser fault on a hostile JWK: the proof's problem
        raise ProofError("DPoP proof key rejected", code=Reason.DPOP_JWK) from exc
