"""The library tests' own small API: ``/`` for anyone, ``/me`` for a token with the test scopes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jwks_auth.permissions import HasScopes


class HelloView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response("Hello")


class MeView(APIView):
    """The claims of the caller's access token; needs ``settings.ME_REQUIRED_SCOPES``."""

    permission_classes = [HasScopes]

    @property
    def required_scopes(self) -> list[str]:
        return list(settings.ME_REQUIRED_SCOPES)

    def get(self, request: Request) -> Response:
        return Response(dict(request.auth.claims))
