"""DRF permission classes that check the scopes of the access token.

Scopes come from the view (``required_scopes``, or
``required_scopes_by_method`` / ``read_scopes`` + ``write_scopes``) or from
``HasScopes.require("a", "b")``. An anonymous request gets DRF's 401 with
the plain Bearer challenge; a token without a needed scope gets 403 with
``error="insufficient_scope"`` and the scopes it needs.
"""
from __future__ import annotations

from typing import Any, Iterable

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from jwks_auth.challenges import InsufficientScope
from jwks_auth.tokens import AccessToken


def _token_scopes(request: Request) -> frozenset[str] | None:
    token = getattr(request, "auth", None)
    return token.scopes if isinstance(token, AccessToken) else None


class ScopePermission(BasePermission):
    """Base class: subclasses say which scopes and whether all or any are needed."""

    scopes: tuple[str, ...] | None = None
    require_all = True

    @classmethod
    def require(cls, *scopes: str) -> type["ScopePermission"]:
        """A subclass bound to ``scopes``: ``permission_classes = [HasScopes.require("api1")]``."""
        return type(f"{cls.__name__}({' '.join(scopes)})", (cls,), {"scopes": tuple(scopes)})

    def get_required_scopes(self, request: Request, view: Any) -> Iterable[str]:
        if self.scopes is not None:
            return self.scopes
        return getattr(view, "required_scopes", None) or ()

    def has_permission(self, request: Request, view: Any) -> bool:
        granted = _token_scopes(request)
        if granted is None:
            return False  # not authenticated by a token: DRF answers 401
        required = set(self.get_required_scopes(request, view))
        if not required:
            return True
        ok = required <= granted if self.require_all else not required.isdisjoint(granted)
        if not ok:
            raise InsufficientScope("insufficient scope", scopes=required)
        return True


class HasScopes(ScopePermission):
    """The token must carry every required scope."""


class HasAnyScope(ScopePermission):
    """The token must carry at least one of the required scopes."""

    require_all = False


class HasMethodScopes(ScopePermission):
    """Scopes by HTTP method.

    ``view.required_scopes_by_method = {"GET": [...], "POST": [...]}``, or
    ``view.read_scopes`` for safe methods and ``view.write_scopes`` for the
    rest. A method the map does not name (and no ``"*"`` entry) is denied:
    forgetting a method must not open it.
    """

    def get_required_scopes(self, request: Request, view: Any) -> Iterable[str] | None:
        by_method = getattr(view, "required_scopes_by_method", None)
        if by_method is not None:
            return by_method.get(request.method, by_method.get("*"))
        name = "read_scopes" if request.method in SAFE_METHODS else "write_scopes"
        return getattr(view, name, None)

    def has_permission(self, request: Request, view: Any) -> bool:
        if _token_scopes(request) is not None and self.get_required_scopes(request, view) is None:
            return False
        return super().has_permission(request, view)
