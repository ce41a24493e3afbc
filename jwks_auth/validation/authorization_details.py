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


def _strings(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _malformed()
    return frozenset(value)


def _detail(entry: Any) -> AuthorizationDetail:
    if not isinstance(entry, dict):
        raise _malformed()
    kind = entry.get("type")
    if not isinstance(kind, str) or not kind:
        raise _malformed()
    arrays = {name: _strings(entry[name]) for name in _STRING_ARRAYS if name in entry}
    identifier = entry.get("identifier")
    if "identifier" in entry and not isinstance(identifier, str):
        raise _malformed()
    return AuthorizationDetail(kind, identifier=identifier, fields=MappingProxyType(entry), **arrays)


def read_authorization_details(claims: Mapping[str, Any]) -> tuple[AuthorizationDetail, ...]:
    """The token's details, ``()`` without the claim; ``InvalidClaims`` when it is malformed."""
    if "authorization_details" not in claims:
        return ()
    value = claims["authorization_details"]
    if not isinstance(value, list):
        raise _malformed()
    return tuple(_detail(entry) for entry in value)
