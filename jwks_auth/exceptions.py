"""Errors raised while fetching keys and validating tokens.

These carry a machine-readable ``code`` (a ``Reason``) and a short, fixed
``description`` that is safe to show to a client: neither ever contains
token content. The framework-neutral refusals are in ``front_door``, the
DRF errors that turn them into responses in ``challenges``.
"""

from __future__ import annotations

from jwks_auth.reasons import Reason

__all__ = [
    "DEFAULT_RETRY_AFTER",
    "CannotDecide",
    "RevocationUnavailable",
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


#: Seconds a client is told to wait (``Retry-After``) when a token cannot be checked now: the one default.
DEFAULT_RETRY_AFTER = 5


class CannotDecide(JWKSAuthError):
    """The token cannot be checked now (503): something a check needs is down, not the token's fault.

    Subclasses say what: the signing keys, the DPoP replay store, introspection, the revocation hook.
    """

    reason: Reason = Reason.KEYS_UNAVAILABLE
    message = "the token cannot be checked now"

    def __init__(self, message: str | None = None, retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(message or self.message)
        self.retry_after = max(1, int(retry_after))


class KeysUnavailable(CannotDecide):
    """No usable key set could be had: a provider problem, not a bad token."""

    reason = Reason.KEYS_UNAVAILABLE
    message = "signing keys unavailable"


class RevocationUnavailable(CannotDecide):
    """``IS_REVOKED`` failed: whether the token is revoked cannot be known."""

    message = "revocation check unavailable"


class FetchError(JWKSAuthError):
    """Fetching a discovery or JWKS document failed."""


class ConfigurationError(JWKSAuthError):
    """JWKS_AUTH is set up in a way that cannot work."""
