"""Views for the DRF-integration cases: JWKSAuthentication behind another authentication class."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jwks_auth.authentication import JWKSAuthentication
from jwks_auth.permissions import HasScopes


class SessionFirstView(APIView):
    """SessionAuthentication has no authenticate_header(): DRF's 403 trap."""

    authentication_classes = [SessionAuthentication, JWKSAuthentication]
    permission_classes = [HasScopes.require("api1")]

    def get(self, request):
        return Response({"sub": request.auth["sub"]})


class IsAuthenticatedView(APIView):
    """Plain DRF IsAuthenticated with the bearer class first."""

    authentication_classes = [JWKSAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"sub": request.auth["sub"]})


class AdminView(APIView):
    """HasScopes on the view's required_scopes: what a smuggled ``admin`` would open."""

    authentication_classes = [JWKSAuthentication]
    permission_classes = [HasScopes]
    required_scopes = ["admin"]

    def get(self, request):
        return Response({"scopes": sorted(request.auth.scopes)})


urlpatterns = [
    path("admin-only", AdminView.as_view()),
    path("session-first", SessionFirstView.as_view()),
    path("is-authenticated", IsAuthenticatedView.as_view()),
    path("", include("tests.urls")),
]
