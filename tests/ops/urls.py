"""A protected DRF view beside the operations views, as a project would mount them."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from jwks_auth.authentication import JWKSAuthentication
from jwks_auth.permissions import HasScopes


class ClaimsView(APIView):
    authentication_classes = [JWKSAuthentication]
    permission_classes = [HasScopes.require("api1")]

    def get(self, request):
        return Response({"sub": request.auth["sub"]})


urlpatterns = [
    path("claims", ClaimsView.as_view()),
    path("", include("jwks_auth.ops.urls")),
]
