"""Whether a validated token's ``cnf`` is met by the request: a DPoP proof or a client certificate.

Per issuer, ``DPOP`` says which schemes are accepted: ``"off"`` (Bearer only,
and a DPoP-bound token is refused since its binding cannot be honoured),
``"allowed"`` (Bearer or DPoP; a token with ``cnf.jkt`` only with a valid
proof) and ``"required"`` (DPoP only). A token with ``cnf["x5t#S256"]`` needs
the client certificate with that SHA-256 thumbprint (RFC 8705 3), whatever
the scheme. Proofs are checked on every request: nothing here is cached.
"""
from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jwks_auth.dpop.certificates import certificate_thumbprint, client_certificate
from jwks_auth.dpop.config import DPoPSettings
from jwks_auth.dpop.errors import BindingError, DPoPRequestError, ProofError
from jwks_auth.dpop.facts import RequestFacts
from jwks_auth.dpop.proof import ProofVerifier, VerifiedProof

SCHEMES = ("bearer", "dpop")


@dataclass(frozen=True)
class Binding:
    """How the request proved possession, if it had to."""

    scheme: str
    proof: VerifiedProof | None = None
    certificate_thumbprint: str | None = None


def _confirmation(claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``(jkt, x5t#S256)`` from ``cnf``; ``BindingError`` for a ``cnf`` that cannot be read."""
    if "cnf" not in claims:
        return None, None
    cnf = claims["cnf"]
    if not isinstance(cnf, Mapping):
        raise BindingError("invalid cnf claim", code="cnf")
    jkt, x5t = cnf.get("jkt"), cnf.get("x5t#S256")
    for value in (jkt, x5t):
        if value is not None and (type(value) is not str or not value):
            raise BindingError("invalid cnf claim", code="cnf")
    return jkt, x5t


def check_binding(claims: Mapping[str, Any], *, scheme: str, token: str, proofs: tuple[str, ...],
                  facts: RequestFacts, policy: str, nonce_required: bool, verifier: ProofVerifier,
                  settings: DPoPSettings) -> Binding:
    """The binding of a valid token's request; ``ProofError``, ``BindingError`` or ``DPoPRequestError`` if unmet."""
    jkt, x5t = _confirmation(claims)
    proof: VerifiedProof | None = None
    if scheme == "dpop":
        if policy == "off":
            raise BindingError("DPoP not accepted for this issuer", code="dpop_off")
        if not proofs:
            raise ProofError("missing DPoP proof", code="dpop_missing")
        if len(proofs) != 1:
            raise DPoPRequestError("more than one DPoP proof", code="dpop_header_count")
        if jkt is None:
            raise BindingError("token is not DPoP-bound", code="dpop_unbound")
        proof = verifier.verify(proofs[0], facts, access_token=token, nonce_required=nonce_required)
        if not hmac.compare_digest(proof.thumbprint, jkt):
            raise ProofError("DPoP proof key does not match the token", code="dpop_jkt")
    elif jkt is not None:
        # The downgrade DPoP exists to stop: a stolen bound token replayed as a bearer token.
        raise BindingError("DPoP-bound token used as a bearer token", code="dpop_downgrade")
    elif policy == "required":
        raise BindingError("DPoP required", code="dpop_required")
    thumbprint = None
    if x5t is not None:
        certificate = client_certificate(facts, settings)
        thumbprint = None if certificate is None else certificate_thumbprint(certificate)
        if thumbprint is None or not hmac.compare_digest(thumbprint, x5t):
            raise BindingError("client certificate does not match the token", code="mtls")
    return Binding(scheme, proof, thumbprint)
