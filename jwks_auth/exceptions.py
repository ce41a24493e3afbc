"""Errors raised while fetching keys and validating tokens.

These carry a machine-readable ``code`` and a short, fixed ``description``
that is safe to show to a client: neither ever contains token content.
The DRF errors that turn them into responses live in ``challenges``.
"""
from __future__ import annotations


class JWKSAuthError(Exception):
    """Base class of every jwks_auth error."""


class TokenError(JWKSAuthError):
    """The token cannot be accepted."""

    code = "invalid"
    description = "invalid token"

    def __init__(self, description: str | None = None, code: str | None = None) -> None:
        if description is not None:
            self.description = description
        if code is not None:
            self.code = code
        super().__init__(self.description)


class MalformedToken(TokenError):
    code = "malformed"
    description = "malformed token"


class InvalidSignature(TokenError):
    code = "signature"
    description = "invalid signature"


class UnknownKey(TokenError):
    code = "kid"
    description = "signing key not found"


class ExpiredToken(TokenError):
    code = "expired"
    description = "token expired"


class InvalidClaims(TokenError):
    code = "claims"
    description = "invalid claims"


class RevokedToken(TokenError):
    code = "revoked"
    description = "token revoked"


class KeysUnavailable(JWKSAuthError):
    """No usable key set could be had: a provider problem, not a bad token."""

    def __init__(self, message: str = "signing keys unavailable", retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class FetchError(JWKSAuthError):
    """Fetching a discovery or JWKS document failed."""


class ConfigurationError(JWKSAuthError):
    """JWKS_AUTH is set up in a way that cannot work."""
