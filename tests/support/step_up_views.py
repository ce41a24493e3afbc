"""RFC 9470 step-up endpoints, one per front door: each needs ``acr`` ``urn:mfa`` or ``urn:hwk`` within 300 s."""

from __future__ import annotations

from typing import Any

from adrf.views import APIView as AsyncAPIView
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views import View
from ninja import NinjaAPI
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jwks_auth.decorators import TokenRequiredMixin, token_required
from jwks_auth.ninja import JWKSBearer, handle_refusals
from jwks_auth.permissions import HasAuthenticationContext, HasScopes
from jwks_auth.web.step_up import AuthenticationRequirement

ACR = ["urn:mfa", "urn:hwk"]
MAX_AGE = 300


def _seen(token: Any) -> dict[str, Any]:
    return {"sub": token["sub"], "acr": token.get("acr")}


class DrfStepUp(APIView):
    permission_classes = [HasScopes.require("api1") & HasAuthenticationContext]
    required_acr = ACR
    max_auth_age = MAX_AGE

    def get(self, request: Request) -> Response:
        return Response(_seen(request.auth))


class AdrfStepUp(AsyncAPIView):  # type: ignore[misc]
    permission_classes = [HasAuthenticationContext.require(acr=ACR, max_age=MAX_AGE)]

    async def get(self, request: Request) -> Response:
        return Response(_seen(request.auth))


class DrfAcrOnly(APIView):
    permission_classes = [HasAuthenticationContext]
    required_acr = ["urn:mfa"]

    def get(self, request: Request) -> Response:
        return Response(_seen(request.auth))


class DrfAgeOnly(APIView):
    permission_classes = [HasAuthenticationContext]
    max_auth_age = 60

    def get(self, request: Request) -> Response:
        return Response(_seen(request.auth))


class DrfComputed(APIView):
    """The requirement computed per request: a ``?amount=`` over 1000 needs a hardware key."""

    class Permission(HasAuthenticationContext):
        def get_authentication_requirement(self, request: Request, view: Any) -> AuthenticationRequirement:
            if int(request.query_params.get("amount", "0")) > 1000:
                return super().get_authentication_requirement(request, view)
            return AuthenticationRequirement()  # nothing asked

    permission_classes = [Permission]
    required_acr = ["urn:hwk"]

    def get(self, request: Request) -> Response:
        return Response(_seen(request.auth))


class DrfMisconfigured(APIView):
    permission_classes = [HasAuthenticationContext]

    def get(self, request: Request) -> Response:  # pragma: no cover - never reached
        return Response({})


api = handle_refusals(NinjaAPI(urls_namespace="step-up-tests", docs_url=None))


@api.get("/sync", auth=JWKSBearer(scopes=["api1"], acr=ACR, max_age=MAX_AGE))
def ninja_sync(request: HttpRequest) -> dict[str, Any]:
    return _seen(request.auth)  # type: ignore[attr-defined]


@api.get("/async", auth=JWKSBearer(scopes=["api1"], acr=ACR, max_age=MAX_AGE))
async def ninja_async(request: HttpRequest) -> dict[str, Any]:
    return _seen(request.auth)  # type: ignore[attr-defined]


@token_required(scopes=["api1"], acr=ACR, max_age=MAX_AGE)
def plain_sync(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


@token_required(acr=ACR, max_age=MAX_AGE)
async def plain_async(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


class ClassSync(TokenRequiredMixin, View):
    required_acr = ACR
    max_auth_age = MAX_AGE

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


class ClassAsync(TokenRequiredMixin, View):
    required_acr = ACR
    max_auth_age = MAX_AGE

    async def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


#: Path -> front door; every one asks for the same authentication.
DOORS = {
    "/stepup/drf": "drf",
    "/stepup/adrf": "adrf",
    "/stepup/ninja/sync": "ninja-sync",
    "/stepup/ninja/async": "ninja-async",
    "/stepup/plain/sync": "decorator-sync",
    "/stepup/plain/async": "decorator-async",
    "/stepup/class/sync": "mixin-sync",
    "/stepup/class/async": "mixin-async",
}

urlpatterns = [
    path("", include("tests.urls")),
    path("stepup/drf", DrfStepUp.as_view()),
    path("stepup/adrf", AdrfStepUp.as_view()),
    path("stepup/drf-acr", DrfAcrOnly.as_view()),
    path("stepup/drf-age", DrfAgeOnly.as_view()),
    path("stepup/drf-computed", DrfComputed.as_view()),
    path("stepup/drf-misconfigured", DrfMisconfigured.as_view()),
    path("stepup/ninja/", api.urls),
    path("stepup/plain/sync", plain_sync),
    path("stepup/plain/async", plain_async),
    path("stepup/class/sync", ClassSync.as_view()),
    path("stepup/class/async", ClassAsync.as_view()),
]
