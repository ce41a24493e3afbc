"""The DRF adapter: a refusal (``jwks_auth.exceptions``) as the ``APIException`` DRF answers with.

DRF's default exception handler copies ``auth_header`` into
``WWW-Authenticate`` and ``wait`` into ``Retry-After`` for any
``APIException``, and renders ``detail`` as ``{"detail": ...}``: the same
answer ``jwks_auth.web.responses.answer`` gives the other doors. The
``DPoP-Nonce`` goes on DRF's answers through the view's headers
(``JWKSAuthentication``). ``RefusedRequest`` is deliberately not an
``AuthenticationFailed``: DRF would replace its challenge with the first
authenticator's plain one, and turn it into a 403 when there is none.

The refusal classes DRF code raised from here before 1.0 are the ones of
``jwks_auth.exceptions`` now, still importable under these names; raise one
in a DRF view as ``drf_error(refusal)``.
"""

from __future__ import annotations

from rest_framework.exceptions import APIException

from jwks_auth.exceptions import (
    CannotDecide,
    InsufficientAuthorizationDetails,
    InsufficientScope,
    InsufficientUserAuthentication,
    InvalidRequest,
    NonceRequired,
    ProofError,
    Refusal,
    TokenError,
)
from jwks_auth.web.responses import answer
from jwks_auth.web.www_authenticate import bearer_challenge


class RefusedRequest(APIException):
    """A refusal as a DRF error: its status, body, challenge and ``Retry-After``; ``refusal`` is the refusal."""

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        result = answer(refusal)
        self.status_code = result.status
        super().__init__(detail=result.detail, code=refusal.error or "temporarily_unavailable")
        challenge = result.headers.get("WWW-Authenticate")
        if challenge:
            self.auth_header = challenge
        if refusal.retry_after is not None:
            self.wait = refusal.retry_after


def drf_error(refusal: Refusal) -> RefusedRequest:
    """The DRF error for ``refusal``: same status, challenge, ``Retry-After`` and body as every other door."""
    return RefusedRequest(refusal)


# The names of the DRF errors before 1.0: the one hierarchy's classes.
BearerError = Refusal
InvalidToken = TokenError
InvalidDPoPProof = ProofError
UseDPoPNonce = NonceRequired
KeysUnavailableError = CannotDecide

__all__ = [
    "BearerError",
    "InsufficientAuthorizationDetails",
    "InsufficientScope",
    "InsufficientUserAuthentication",
    "InvalidDPoPProof",
    "InvalidRequest",
    "InvalidToken",
    "KeysUnavailableError",
    "RefusedRequest",
    "UseDPoPNonce",
    "bearer_challenge",
    "drf_error",
]
