"""Why a DPoP proof or a token binding is refused; fixed texts that never echo a proof or token.

All are ``SenderError``s, which the front door turns into refusals on the
challenge of the scheme the request used: ``ProofError`` a 401
``error="invalid_dpop_proof"`` (RFC 9449 7.1), ``NonceRequired`` a 401
``error="use_dpop_nonce"`` with a fresh ``DPoP-Nonce``, ``BindingError`` a
401 ``invalid_token`` (the token's ``cnf`` is not met) and
``DPoPRequestError`` a 400 ``invalid_request`` (two proofs, say).
``ReplayUnavailable`` is a 503: a proof whose ``jti`` cannot be recorded is
not accepted, since its replay could not be told apart.
"""

from __future__ import annotations

from jwks_auth.exceptions import CannotDecide, TokenError
from jwks_auth.reasons import Reason


class SenderError(TokenError):
    """The request does not prove possession of its token."""

    code = Reason.BINDING
    description = "token binding not satisfied"


class ProofError(SenderError):
    code = Reason.DPOP_PROOF
    description = "invalid DPoP proof"


class NonceRequired(ProofError):
    code = Reason.DPOP_NONCE
    description = "a fresh DPoP nonce is required"


class BindingError(SenderError):
    code = Reason.BINDING
    description = "token binding not satisfied"


class DPoPRequestError(SenderError):
    code = Reason.DPOP_REQUEST
    description = "malformed DPoP request"


class ReplayUnavailable(CannotDecide):
    reason = Reason.REPLAY_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("DPoP replay store unavailable")
