"""Sender-constrained access tokens: DPoP proofs (RFC 9449) and certificate binding (RFC 8705).

Framework-neutral: a request is described by ``RequestFacts`` (``facts``),
the proof is checked by ``ProofVerifier`` (``proof``), its ``jti`` is
remembered by ``ReplayGuard`` (``replay``) in the shared cache, server nonces
come from ``NonceSource`` (``nonce``), and ``check_binding`` (``binding``)
ties a validated token's ``cnf`` to the proof or the client certificate.
``jwks_auth.dpop.django`` builds the facts from a Django request.
"""
from __future__ import annotations

from jwks_auth.dpop.binding import Binding, check_binding
from jwks_auth.dpop.errors import BindingError, DPoPRequestError, NonceRequired, ProofError, ReplayUnavailable
from jwks_auth.dpop.facts import RequestFacts
from jwks_auth.dpop.jwk import jwk_thumbprint
from jwks_auth.dpop.proof import ProofVerifier, VerifiedProof, access_token_hash

__all__ = [
    "Binding", "BindingError", "DPoPRequestError", "NonceRequired", "ProofError", "ProofVerifier", "ReplayUnavailable",
    "RequestFacts", "VerifiedProof", "access_token_hash", "check_binding", "jwk_thumbprint",
]
