"""The authentication event behind a token: ``acr`` and ``auth_time`` (RFC 9068 2.2.1, OIDC Core 2), read to the letter.

Read only when an endpoint asks for them (RFC 9470 step-up), so a token is
not charged for claims nobody looks at. Both are hostile input: ``acr`` must
be a non-empty JSON string, ``auth_time`` a JSON number of seconds since the
epoch (not a boolean, not a string, finite, not negative, and not in the
future beyond the issuer's ``LEEWAY``). Anything else is ``InvalidClaims``
with a fixed description, which every door answers as 401 ``invalid_token``;
the value itself is never echoed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jwks_auth.exceptions import InvalidClaims
from jwks_auth.reasons import Reason

#: The fixed description of a token whose ``acr`` or ``auth_time`` is malformed.
MALFORMED_CONTEXT = "invalid authentication context claims"


@dataclass(frozen=True, slots=True)
class AuthenticationContext:
    """``acr`` and ``auth_time`` of a token, each ``None`` when the token does not carry it."""

    acr: str | None
    auth_time: float | None


def _malformed() -> InvalidClaims:
    return InvalidClaims(MALFORMED_CONTEXT, code=Reason.CLAIM_TYPE)


def read_authentication_context(claims: Mapping[str, Any], now: float, leeway: float = 0.0) -> AuthenticationContext:
    """The token's ``AuthenticationContext``; ``InvalidClaims`` when either claim is malformed."""
    # A claim that is present must be well formed: JSON null is not "absent".
    acr = claims.get("acr")
    if "acr" in claims and (not isinstance(acr, str) or not acr):
        raise _malformed()
    auth_time = claims.get("auth_time")
    if "auth_time" in claims:
        # bool is an int in Python, and "1700000000" is a string in JSON: neither is a NumericDate.
        if isinstance(auth_time, bool) or not isinstance(auth_time, (int, float)):
            raise _malformed()
        auth_time = float(auth_time)
        if not math.isfinite(auth_time) or auth_time < 0 or auth_time > now + leeway:
            raise _malformed()
    return AuthenticationContext(acr, auth_time)
