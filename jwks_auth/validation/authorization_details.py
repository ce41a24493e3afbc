"""RFC 9396 ``authorization_details``, read to the letter: a JSON array of objects, each with a string ``type``.

Read only when something asks for them (``AccessToken.authorization_details``,
an endpoint that requires details), so tokens are not charged for a claim
nobody looks at. The common fields of RFC 9396 2.2 are typed: ``locations``,
``actions``, ``datatypes`` and ``privileges`` arrays of strings,
``identifier`` a string; any other member is the type's own and is kept as
it is (``AuthorizationDetail.fields``). Anything else is ``InvalidClaims``
with a fixed description (401 ``invalid_token`` at every door); the value is
never echoed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from jwks_auth.exceptions import InvalidClaims
from jwks_auth.reasons import Reason

#: The fixed description of a token whose ``authorization_details`` is malformed.
MALFORMED_DETAILS = "invalid authorization_details"
_STRING_ARRAYS = ("locations", "actions", "datatypes", "privileges")


@dataclass(frozen=True, slots=True)
class AuthorizationDetail:
    """One authorization detail object; the common fields as frozensets, ``fields`` the whole object."""

    type: str
    locations: frozenset[str] | None = None
    actions: frozenset[str] | None = None
    datatypes: frozenset[str] | None = None
    privileges: frozenset[str] | None = None
    identifier: str | None = None
    fields: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)


def _malformed() -> InvalidClaims:
    return InvalidClaims(MALFORMED_DETAILS, code=Reason.CLAIM_TYPE)


def _well_formed(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    kind = entry.get("type")
    if not isinstance(kind, str) or not kind:
        return False
    for name in _STRING_ARRAYS:
        value = entry.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            return False
        if value is None and name in entry:  # JSON null is not an absent member
            return False
    return "identifier" not in entry or isinstance(entry["identifier"], str)


def checked_authorization_details(claims: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The claim as it is, checked to the letter (``[]`` without it); ``InvalidClaims`` when malformed.

    What the endpoint checks use: no objects built, so a request pays for the type checks only.
    """
    if "authorization_details" not in claims:
        return []
    value = claims["authorization_details"]
    if not isinstance(value, list) or not all(_well_formed(entry) for entry in value):
        raise _malformed()
    return value


def _detail(entry: dict[str, Any]) -> AuthorizationDetail:
    arrays = {name: frozenset(entry[name]) for name in _STRING_ARRAYS if name in entry}
    return AuthorizationDetail(
        entry["type"], identifier=entry.get("identifier"), fields=MappingProxyType(entry), **arrays
    )


def read_authorization_details(claims: Mapping[str, Any]) -> tuple[AuthorizationDetail, ...]:
    """The token's details, ``()`` without the claim; ``InvalidClaims`` when it is malformed."""
    return tuple(_detail(entry) for entry in checked_authorization_details(claims))
