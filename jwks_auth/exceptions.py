"""Errors raised while fetching keys and validating tokens.

These carry a machine-readable ``code`` (a ``Reason``) and a short, fixed
``description`` that is safe to show to a client: neither ever contains
token content. The framework-neutral refusals are in ``front_door``, the
DRF errors that turn them into responses in ``challenges``.
"""

from __future__ import annotations

from jwks_auth.reasons import Reason

__all__ = [
    "ConfigurationError",
    "ExpiredToken",
    "FetchError",
    "InvalidClaims",
    "InvalidSignature",
    "JWKSAuthError",
    "KeysUnavailable",
    "MalformedToken",
    "RevokedToken",
    "TokenError",
    "UnknownKey",
]


class JWKSAuthError(Exception):
    """Base class of every jwks_auth error."""


class TokenError(JWKSAuthError):
    """The token cannot be accepted."""

    code: Reason = Reason.INVALID
    description = "invalid token"

    def __init__(self, description: str | None = None, code: Reason | None = None) -> None:
        if description is not None:
            self.description = description
        if code is not None:
            self.code = Reason(code)
        super().__init__(self.description)


class MalformedToken(TokenError):
    code = Reason.MALFORMED
    description = "malformed token"


class InvalidSignature(TokenError):
    code = Reason.SIGNATURE
    description = "invalid signature"


class UnknownKey(TokenError):
    code = Reason.UNKNOWN_KID
    description = "signing key not found"


class ExpiredToken(TokenError):
    code = Reason.EXPIRED
    description = "token expired"


class InvalidClaims(TokenError):
    code = Reason.CLAIM_TYPE
    description = "invalid claims"


class RevokedToken(TokenError):
    code = Reason.REVOKED
    description = "token revoked"


class KeysUnavailable(JWKSAuthError):
    """No usable key set could be had: a provider problem, not a bad token."""

    #: The 503's reason (another store a check needs, such as the DPoP replay cache, has its own).
    reason: Reason = Reason.KEYS_UNAVAILABLE

    def __init__(self, message: str = "signing keys unavailable", retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class FetchError(JWKSAuthError):
    """Fetching a discovery or JWKS document failed."""


class ConfigurationError(JWKSAuthError):
    """JWKS_AUTH is set up in a way that cannot work."""
