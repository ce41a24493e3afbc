"""RFC 6750 ``WWW-Authenticate: Bearer`` challenges and the DRF errors carrying them.

DRF's default exception handler copies ``auth_header`` into
``WWW-Authenticate`` and ``wait`` into ``Retry-After`` for any
``APIException``. These errors are deliberately not subclasses of
``AuthenticationFailed``: DRF would replace their challenge with the first
authenticator's plain one, and turn them into 403 when it has none.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from rest_framework import status
from rest_framework.exceptions import APIException

from jwks_auth.conf import jwks_settings

# RFC 6750 3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E.
_UNSAFE = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]')


def _quote(value: str) -> str:
    return '"' + _UNSAFE.sub("", value)[:200] + '"'


def resource_metadata_url() -> str | None:
    # RFC 9728 3.1: the well-known suffix goes between host and path.
    from jwks_auth.metadata import resource_metadata_url as url

    return url()


def bearer_challenge(
    error: str | None = None, description: str | None = None, scopes: Iterable[str] | None = None,
    *, scheme: str = "bearer",
) -> str:
    """The value of a ``WWW-Authenticate`` header: Bearer, and DPoP where accepted (``jwks_auth.dpop``).

    The error goes on the challenge of ``scheme``, the one the request used.
    """
    from jwks_auth.dpop.challenge import dpop_challenge, offered_schemes

    bearer, dpop = offered_schemes()
    if not dpop:
        return _bearer_only(error, description, scopes)
    on_dpop = scheme == "dpop" or not bearer
    challenges = [_bearer_only(*((None, None, None) if on_dpop else (error, description, scopes)))] if bearer else []
    challenges.append(dpop_challenge(_quote, *((error, description, scopes) if on_dpop else (None, None, None))))
    return ", ".join(challenges)


def _bearer_only(
    error: str | None = None, description: str | None = None, scopes: Iterable[str] | None = None
) -> str:
    params = [f"realm={_quote(jwks_settings.REALM)}"]
    if error:
        params.append(f"error={_quote(error)}")
    if description:
        params.append(f"error_description={_quote(description)}")
    if scopes:
        params.append(f"scope={_quote(' '.join(sorted(scopes)))}")
    metadata = resource_metadata_url()
    if metadata:
        params.append(f"resource_metadata={_quote(metadata)}")
    return "Bearer " + ", ".join(params)


class BearerError(APIException):
    """An error response with a Bearer challenge."""

    error = "invalid_token"

    def __init__(self, description: str | None = None, scopes: Iterable[str] | None = None,
                 scheme: str = "bearer") -> None:
        super().__init__(detail=description or self.default_detail, code=self.error)
        self.auth_header = bearer_challenge(self.error, description, scopes, scheme=scheme)


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

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description, scheme="dpop")


class UseDPoPNonce(BearerError):
    """RFC 9449 8: retry with the nonce in the ``DPoP-Nonce`` response header."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "A DPoP nonce is required."
    error = "use_dpop_nonce"

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description, scheme="dpop")


class InsufficientScope(BearerError):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "The access token lacks a required scope."
    error = "insufficient_scope"


class KeysUnavailableError(APIException):
    """503: the issuer's keys cannot be had; says when to retry."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Token verification is temporarily unavailable."
    default_code = "temporarily_unavailable"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.wait = retry_after
