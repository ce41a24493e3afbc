"""Why a DPoP proof or a token binding is refused; fixed texts that never echo a proof or token.

``ProofError`` answers 401 ``error="invalid_dpop_proof"`` (RFC 9449 7.1),
``NonceRequired`` 401 ``error="use_dpop_nonce"`` with a fresh ``DPoP-Nonce``,
``BindingError`` 401 ``invalid_token`` (the token's ``cnf`` is not met),
``DPoPRequestError`` 400 ``invalid_request`` (two proofs, say), and
``ReplayUnavailable`` 503: a proof whose ``jti`` cannot be recorded is not
accepted, since its replay could not be told apart.
"""
from __future__ import annotations

from jwks_auth.exceptions import KeysUnavailable, TokenError


class ProofError(TokenError):
    code = "dpop_proof"
    description = "invalid DPoP proof"


class NonceRequired(ProofError):
    code = "dpop_nonce"
    description = "a fresh DPoP nonce is required"


class BindingError(TokenError):
    code = "binding"
    description = "token binding not satisfied"


class DPoPRequestError(TokenError):
    code = "dpop_request"
    description = "malformed DPoP request"


class ReplayUnavailable(KeysUnavailable):
    def __init__(self) -> None:
        super().__init__("DPoP replay store unavailable", retry_after=5)
