"""Scopes an endpoint needs, checked outside DRF (Ninja, plain Django views).

``ScopeRequirement(all_of, any_of)``: the token must hold every scope of
``all_of`` and, when ``any_of`` is given, at least one of those. A token that
does not gets ``InsufficientScope`` (``jwks_auth.exceptions``): 403
``insufficient_scope`` with the scopes in the challenge, as DRF's
``HasScopes`` / ``HasAnyScope`` answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from jwks_auth.access_token import AccessToken
from jwks_auth.exceptions import InsufficientScope
from jwks_auth.validation.hints import explain_insufficient_scope

__all__ = ["ScopeRequirement"]


def _names(scopes: Iterable[str] | None, argument: str) -> frozenset[str]:
    if scopes is None:
        return frozenset()
    if isinstance(scopes, str):
        raise ImproperlyConfigured(f"{argument} must be a list of scope names, not a string")
    names = list(scopes)
    if not all(isinstance(name, str) and name and " " not in name for name in names):
        raise ImproperlyConfigured(f"{argument} must hold scope names (non-empty, without spaces)")
    return frozenset(names)


@dataclass(frozen=True)
class ScopeRequirement:
    all_of: frozenset[str] = frozenset()
    any_of: frozenset[str] = frozenset()

    @classmethod
    def of(cls, scopes: Iterable[str] | None = None, any_scopes: Iterable[str] | None = None) -> ScopeRequirement:
        """From the arguments of ``JWKSBearer`` / ``token_required``; ``ImproperlyConfigured`` for bad names."""
        return cls(_names(scopes, "scopes"), _names(any_scopes, "any_scopes"))

    def check(self, token: AccessToken) -> None:
        """``InsufficientScope`` unless ``token`` holds the scopes needed."""
        if not self.all_of <= token.scopes:
            explain_insufficient_scope(token.claims, token.config, self.all_of - token.scopes)
            raise InsufficientScope(self.all_of)
        if self.any_of and self.any_of.isdisjoint(token.scopes):
            explain_insufficient_scope(token.claims, token.config, self.any_of)
            raise InsufficientScope(self.any_of)

    def __bool__(self) -> bool:
        return bool(self.all_of or self.any_of)
