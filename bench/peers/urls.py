"""`/` for anyone, `/me` for a valid token: the same two views for every peer."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def claims_of(auth: Any) -> dict[str, Any]:
    """A dict of the validated claims, whatever the peer puts in request.auth.

    ``copy()``, not ``dict()``: the same dict for every peer, and for a
    read-only mapping (jwks_auth's) the underlying dict's copy rather than a
    key-by-key walk.
    """
    for attribute in ("claims", "payload"):  # jwks_auth's AccessToken, simplejwt's token
        value = getattr(auth, attribute, None)
        if value is not None:
            return value.copy()  # type: ignore[no-any-return]
    return auth.copy()  # type: ignore[no-any-return]  # the PyJWKClient class's dict, drf-oidc-auth's claims


class HelloView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response("Hello")


class MeView(APIView):
    def get(self, request: Request) -> Response:
        return Response(claims_of(request.auth))


urlpatterns = [path("", HelloView.as_view()), path("me", MeView.as_view())]
