"""``AccessToken``: a validated token, with the configuration of its issuer.

A leaf module (it imports only ``conf``), so that every part that hands out
or reads tokens (JWT validation, introspection, users, permissions) can use
it without importing the others.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jwks_auth.conf import IssuerConfig


@dataclass(frozen=True)
class AccessToken:
    """A validated access token: ``request.auth`` in DRF views.

    ``config`` is the ``IssuerConfig`` it was validated with, so code that
    needs the issuer's settings (the user id claim, the prefix) reads them
    here rather than asking the process-wide validator on every request.
    """

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    issuer: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    config: IssuerConfig | None = field(default=None, compare=False, repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.claims[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.claims.get(name, default)

    def has_scopes(self, scopes: Iterable[str]) -> bool:
        return set(scopes) <= self.scopes

    def __repr__(self) -> str:
        return f"<AccessToken iss={self.issuer!r} sub={self.claims.get('sub')!r}>"
