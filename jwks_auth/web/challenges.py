"""The DRF errors carrying RFC 6750 ``WWW-Authenticate: Bearer`` challenges (and DPoP's beside them).

DRF's default exception handler copies ``auth_header`` into
``WWW-Authenticate`` and ``wait`` into ``Retry-After`` for any
``APIException``. These errors are deliberately not subclasses of
``AuthenticationFailed``: DRF would replace their challenge with the first
authenticator's plain one, and turn them into 403 when it has none.
"""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework import status
from rest_framework.exceptions import APIException

from jwks_auth.web.www_authenticate import bearer_challenge


class BearerError(APIException):
    """An error response with a Bearer challenge; ``challenge`` replaces the one it would build."""

    error = "invalid_token"
    #: The scheme whose challenge carries the error (RFC 9449 7.1 errors are DPoP's).
    scheme = "Bearer"

    def __init__(
        self, description: str | None = None, scopes: Iterable[str] | None = None, *, challenge: str | None = None
    ) -> None:
        super().__init__(detail=description or self.default_detail, code=self.error)
        self.auth_header = challenge or bearer_challenge(self.error, description, scopes, scheme=self.scheme)


class InvalidRequest(BearerError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Malformed authorization request."
    error = "invalid_request"


class InvalidToken(BearerError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Invalid access token."
    error = "invalid_token"


class InvalidDPoPProof(BearerError):
    """RFC 9449 7.1: the proof is missing, invalid or does not match the token."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Invalid DPoP proof."
    error = "invalid_dpop_proof"
    scheme = "DPoP"


class UseDPoPNonce(BearerError):
    """RFC 9449 8: retry with the nonce in the ``DPoP-Nonce`` response header."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "A DPoP nonce is required."
    error = "use_dpop_nonce"
    scheme = "DPoP"


class InsufficientScope(BearerError):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "The access token lacks a required scope."
    error = "insufficient_scope"


class InsufficientAuthorizationDetails(BearerError):
    """RFC 9396: no ``authorization_details`` of the token covers the request; 403 ``insufficient_scope``.

    Not an ``InsufficientScope``: the scope operators of ``jwks_auth.permissions``
    fold those into a list of missing scopes, and this one names none.
    """

    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "The access token's authorization details do not cover this request."
    error = "insufficient_scope"


class InsufficientUserAuthentication(BearerError):
    """RFC 9470 3: the token's authentication is too weak or too old; build with ``challenge=``
    (``jwks_auth.web.step_up``), which carries ``acr_values`` / ``max_age``."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "A different authentication level is required"
    error = "insufficient_user_authentication"


class KeysUnavailableError(APIException):
    """503: the issuer's keys cannot be had; says when to retry."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Token verification is temporarily unavailable."
    default_code = "temporarily_unavailable"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.wait = retry_after


__all__ = [
    "BearerError",
    "InsufficientAuthorizationDetails",
    "InsufficientScope",
    "InsufficientUserAuthentication",
    "InvalidDPoPProof",
    "InvalidRequest",
    "InvalidToken",
    "KeysUnavailableError",
    "UseDPoPNonce",
    "bearer_challenge",
]
