"""Views for the authorization tests: every way of asking for scopes."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jwks_auth.permissions import HasAnyScope, HasMethodScopes, HasScopes


class _Echo(APIView):
    def _answer(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "method": request.method,
                "user": user.get_username(),
                "user_type": type(user).__name__,
                "scopes": sorted(request.auth.scopes),
            }
        )

    def get(self, request: Request) -> Response:
        return self._answer(request)

    def post(self, request: Request) -> Response:
        return self._answer(request)

    def put(self, request: Request) -> Response:
        return self._answer(request)

    def delete(self, request: Request) -> Response:
        return self._answer(request)


class AllScopesView(_Echo):
    permission_classes = [HasScopes]
    required_scopes = ["orders.read", "orders.write"]


class AnyScopeView(_Echo):
    permission_classes = [HasAnyScope]
    required_scopes = ["orders.read", "orders.admin"]


class ReadWriteView(_Echo):
    permission_classes = [HasMethodScopes]
    read_scopes = ["orders.read"]
    write_scopes = ["orders.write"]


class MethodMapView(_Echo):
    permission_classes = [HasMethodScopes]
    required_scopes_by_method = {"get": ["orders.read"], "POST": ["orders.write"], "PUT": []}


class BoundView(_Echo):
    permission_classes = [HasScopes.require("orders.read", "orders.write")]


class NoScopesView(_Echo):
    permission_classes = [HasScopes]
    required_scopes: list[str] = []


class OrView(_Echo):
    permission_classes = [HasScopes.require("orders.admin") | HasScopes.require("orders.read")]


class AdminOrScopeView(_Echo):
    permission_classes = [IsAdminUser | HasScopes.require("orders.read")]


class ScopeOrAdminView(_Echo):
    permission_classes = [HasScopes.require("orders.admin") | IsAdminUser]


class AndNotView(_Echo):
    permission_classes = [IsAuthenticated & ~HasScopes.require("blocked")]


class ScopeAndAnyView(_Echo):
    permission_classes = [HasScopes.require("orders.read") & HasAnyScope.require("eu", "us")]


class ClaimsView(APIView):
    """The token's claims, like /me, without a scope requirement."""

    permission_classes = [HasScopes]
    required_scopes: list[str] = []

    def get(self, request: Request) -> Response:
        return Response(
            {
                "claims": dict(request.auth.claims),
                "issuer": request.auth.issuer,
                "scopes": sorted(request.auth.scopes),
                "user": request.user.get_username(),
                "user_type": type(request.user).__name__,
            }
        )


class UnconfiguredView(_Echo):
    """HasScopes with no scopes anywhere: a programming error."""

    permission_classes = [HasScopes]


def extra_views() -> list[Any]:
    return [
        AllScopesView,
        AnyScopeView,
        ReadWriteView,
        MethodMapView,
        BoundView,
        NoScopesView,
        OrView,
        AdminOrScopeView,
        ScopeOrAdminView,
        AndNotView,
        ScopeAndAnyView,
        ClaimsView,
    ]
