"""Why a DPoP proof or a token binding is refused: the sender-constraint refusals of ``jwks_auth.exceptions``.

All are ``SenderError``s (401 ``invalid_token``) but ``ReplayUnavailable``:
``ProofError`` is a 401 ``error="invalid_dpop_proof"`` (RFC 9449 7.1),
``NonceRequired`` a 401 ``error="use_dpop_nonce"`` with a fresh
``DPoP-Nonce``, ``BindingError`` a 401 ``invalid_token`` (the token's
``cnf`` is not met) and ``DPoPRequestError`` a 400 ``invalid_request`` (two
proofs, say). ``ReplayUnavailable`` is a 503: a proof whose ``jti`` cannot be
recorded is not accepted, since its replay could not be told apart. Each
class states its status and error once, in ``jwks_auth.exceptions``; they
are named here too, where the sender layer raises them.
"""

from __future__ import annotations

from jwks_auth.exceptions import (
    BindingError,
    DPoPRequestError,
    NonceRequired,
    ProofError,
    ReplayUnavailable,
    SenderError,
)

__all__ = ["BindingError", "DPoPRequestError", "NonceRequired", "ProofError", "ReplayUnavailable", "SenderError"]
