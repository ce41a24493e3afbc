"""The DRF adapter: a refusal (``jwks_auth.exceptions``) as the ``APIException`` DRF answers with.

DRF's default exception handler copies ``auth_header`` into
``WWW-Authenticate`` and ``wait`` into ``Retry-After`` for any
``APIException``, and renders ``detail`` as ``{"detail": ...}``: the same
answer ``jwks_auth.web.responses.answer`` gives the other doors. The
``DPoP-Nonce`` goes on DRF's answers through the view's headers
(``JWKSAuthentication``). ``RefusedRequest`` is deliberately not an
``AuthenticationFailed``: DRF would replace its challenge with the first
authenticator's plain one, and turn it into a 403 when there is none.

The DRF errors of this module before 1.0 (``BearerError``, ``InvalidToken``,
``InsufficientScope``, ...) are gone: the refusal classes of
``jwks_auth.exceptions`` are not ``APIException``s; in a DRF view raise
``drf_error(refusal)``.
"""

from __future__ import annotations

from rest_framework.exceptions import APIException

from jwks_auth.exceptions import NoCredential, Refusal
from jwks_auth.web.responses import answer
from jwks_auth.web.www_authenticate import bearer_challenge


class RefusedRequest(APIException):
    """A refusal as a DRF error: its status, body, challenge and ``Retry-After``; ``refusal`` is the refusal."""

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        result = answer(refusal)
        self.status_code = result.status
        super().__init__(detail=result.detail, code=_drf_code(refusal))
        challenge = result.headers.get("WWW-Authenticate")
        if challenge:
            self.auth_header = challenge
        wait = result.headers.get("Retry-After")
        if wait is not None:
            self.wait = int(wait)


def _drf_code(refusal: Refusal) -> str:
    """The DRF error code (``get_codes()``): the RFC error, else DRF's own names for no credential and a 503."""
    if refusal.error is not None:
        return refusal.error
    return "not_authenticated" if isinstance(refusal, NoCredential) else "temporarily_unavailable"


def drf_error(refusal: Refusal) -> RefusedRequest:
    """The DRF error for ``refusal``: same status, challenge, ``Retry-After`` and body as every other door."""
    return RefusedRequest(refusal)


__all__ = ["RefusedRequest", "bearer_challenge", "drf_error"]
