"""Sender-constrained access tokens: DPoP proofs (RFC 9449) and certificate binding (RFC 8705).

Framework-neutral: a request is described by ``RequestDetails`` (``facts``),
the proof is checked by ``ProofVerifier`` (``proof``), its ``jti`` is
remembered by ``ReplayGuard`` (``replay``) in the shared cache, server nonces
come from ``NonceSource`` (``nonce``), and ``check_binding`` (``binding``)
ties a validated token's ``cnf`` to the proof or the client certificate.
``sender.constrain`` is the step every front-door ``Scheme`` runs (the
``DPoPScheme`` itself is in ``jwks_auth.web.request_verifier``); ``django`` builds the
facts from a Django request, ``runtime`` the machinery from the settings,
``challenge`` the ``WWW-Authenticate: DPoP`` challenge.
"""

from __future__ import annotations

from jwks_auth.access_token import Binding
from jwks_auth.sender.binding import check_binding
from jwks_auth.sender.errors import (
    BindingError,
    DPoPRequestError,
    NonceRequired,
    ProofError,
    ReplayUnavailable,
    SenderError,
)
from jwks_auth.sender.proof import ProofVerifier, VerifiedProof, access_token_hash
from jwks_auth.sender.proof_key import jwk_thumbprint
from jwks_auth.sender.request_details import RequestDetails

__all__ = [
    "Binding",
    "BindingError",
    "DPoPRequestError",
    "NonceRequired",
    "ProofError",
    "ProofVerifier",
    "ReplayUnavailable",
    "RequestDetails",
    "SenderError",
    "VerifiedProof",
    "access_token_hash",
    "check_binding",
    "jwk_thumbprint",
]
