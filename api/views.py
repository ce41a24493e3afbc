"""The API of the sample: ``/`` for anyone, ``/me`` for a valid token."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jwks_auth.permissions import HasAuthenticationContext, HasAuthorizationDetails, HasScopes


class HelloView(APIView):
    """Answers ``Hello`` to anyone, as the seed's API does."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes: list[Any] = []  # GET only: no body to parse, so no parsers to build per request

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.STR, description="The string Hello")})
    def get(self, request: Request) -> Response:
        return Response("Hello")


class MeView(APIView):
    """The claims of the caller's access token.

    Needs a valid bearer token with the scopes in ``settings.API_REQUIRED_SCOPES``
    (``api1`` by default; the API_REQUIRED_SCOPES environment variable).
    """

    permission_classes = [HasScopes]
    parser_classes: list[Any] = []  # GET only: no body to parse, so no parsers to build per request

    @property
    def required_scopes(self) -> list[str]:
        # Read per request (a settings override is seen); HasScopes only reads it.
        return settings.API_REQUIRED_SCOPES  # type: ignore[no-any-return]

    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The validated claims of the access token"),
            401: OpenApiResponse(description="No token, or an invalid one (see WWW-Authenticate)"),
            403: OpenApiResponse(description="The token lacks a required scope"),
            503: OpenApiResponse(description="The issuer's signing keys cannot be had (see Retry-After)"),
        }
    )
    def get(self, request: Request) -> Response:
        # The token's read-only claims: FastJSONRenderer renders the claims of a cached token once.
        return Response(request.auth.claims)


class StepUpMeView(MeView):
    """``/me`` for a recent, strong sign-in (RFC 9470 step-up).

    Needs, besides ``/me``'s scopes, an ``acr`` of ``settings.API_STEP_UP_ACR``
    (the dev identity server's second factor) and an ``auth_time`` at most
    ``settings.API_STEP_UP_MAX_AGE`` seconds old. A token that falls short gets
    401 ``insufficient_user_authentication`` with ``acr_values`` and ``max_age``:
    the client signs in again with them.
    """

    permission_classes = [HasScopes & HasAuthenticationContext]

    @property
    def required_acr(self) -> list[str]:
        return settings.API_STEP_UP_ACR  # type: ignore[no-any-return]

    @property
    def max_auth_age(self) -> int:
        return settings.API_STEP_UP_MAX_AGE  # type: ignore[no-any-return]

    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The validated claims of the access token"),
            401: OpenApiResponse(
                description="No token, an invalid one, or insufficient_user_authentication with acr_values and "
                "max_age (RFC 9470)"
            ),
            403: OpenApiResponse(description="The token lacks a required scope"),
            503: OpenApiResponse(description="The issuer's signing keys cannot be had (see Retry-After)"),
        }
    )
    def get(self, request: Request) -> Response:
        return Response(request.auth.claims)


class AccountView(APIView):
    """One account, for a token whose RFC 9396 ``authorization_details`` grant reading it.

    Needs ``/me``'s scopes and an ``account_information`` detail with the action
    ``read`` and the ``identifier`` of the account in the URL; another account's
    detail, or none, is a 403.
    """

    permission_classes = [HasScopes & HasAuthorizationDetails]
    parser_classes: list[Any] = []

    @property
    def required_scopes(self) -> list[str]:
        return settings.API_REQUIRED_SCOPES  # type: ignore[no-any-return]

    def get_required_authorization_details(self, request: Request) -> list[dict[str, Any]]:
        return [{"type": "account_information", "actions": ["read"], "identifier": self.kwargs["account"]}]

    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The account and the details that granted it"),
            401: OpenApiResponse(description="No token, an invalid one, or malformed authorization_details"),
            403: OpenApiResponse(description="No authorization detail of the token covers this account"),
            503: OpenApiResponse(description="The issuer's signing keys cannot be had (see Retry-After)"),
        }
    )
    def get(self, request: Request, account: str) -> Response:
        granted = [dict(detail.fields) for detail in request.auth.authorization_details]
        return Response({"account": account, "authorization_details": granted})
