"""RFC 9396 endpoints, one per front door: each needs a ``payment_initiation`` detail to ``initiate``."""

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
from jwks_auth.permissions import HasAuthorizationDetails, HasScopes

PAYMENT = [{"type": "payment_initiation", "actions": ["initiate"], "datatypes": ["amount"]}]


def _seen(token: Any) -> dict[str, Any]:
    return {"sub": token["sub"], "types": sorted(detail.type for detail in token.authorization_details)}


def _account(request: Any) -> list[dict[str, Any]]:
    """The detail an account's endpoint needs: reading that very account."""
    account = request.resolver_match.kwargs["account"]
    return [{"type": "account_information", "actions": ["read"], "identifier": account}]


class DrfPayment(APIView):
    permission_classes = [HasScopes.require("api1") & HasAuthorizationDetails]
    required_authorization_details = PAYMENT

    def post(self, request: Request) -> Response:
        return Response(_seen(request.auth))


class AdrfPayment(AsyncAPIView):  # type: ignore[misc]
    permission_classes = [HasAuthorizationDetails]
    required_authorization_details = PAYMENT

    async def post(self, request: Request) -> Response:
        return Response(_seen(request.auth))


class DrfAccount(APIView):
    permission_classes = [HasAuthorizationDetails]

    def get_required_authorization_details(self, request: Request) -> list[dict[str, Any]]:
        return [{"type": "account_information", "actions": ["read"], "identifier": self.kwargs["account"]}]

    def get(self, request: Request, account: str) -> Response:
        return Response(_seen(request.auth))


class DrfMisconfigured(APIView):
    permission_classes = [HasAuthorizationDetails]

    def get(self, request: Request) -> Response:  # pragma: no cover - never reached
        return Response({})


api = handle_refusals(NinjaAPI(urls_namespace="rar-tests", docs_url=None))


@api.post("/sync", auth=JWKSBearer(scopes=["api1"], authorization_details=PAYMENT))
def ninja_sync(request: HttpRequest) -> dict[str, Any]:
    return _seen(request.auth)  # type: ignore[attr-defined]


@api.post("/async", auth=JWKSBearer(authorization_details=PAYMENT))
async def ninja_async(request: HttpRequest) -> dict[str, Any]:
    return _seen(request.auth)  # type: ignore[attr-defined]


@api.get("/accounts/{account}", auth=JWKSBearer(authorization_details=_account))
def ninja_account(request: HttpRequest, account: str) -> dict[str, Any]:
    return _seen(request.auth)  # type: ignore[attr-defined]


@token_required(scopes=["api1"], authorization_details=PAYMENT)
def plain_sync(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


@token_required(authorization_details=PAYMENT)
async def plain_async(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


@token_required(authorization_details=_account)
def plain_account(request: HttpRequest, account: str) -> JsonResponse:
    return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


class ClassSync(TokenRequiredMixin, View):
    required_authorization_details = PAYMENT

    def post(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


class ClassAsync(TokenRequiredMixin, View):
    required_authorization_details = PAYMENT

    async def post(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


class ClassAccount(TokenRequiredMixin, View):
    def get_required_authorization_details(self, request: HttpRequest) -> list[dict[str, Any]]:
        return _account(request)

    def get(self, request: HttpRequest, account: str) -> JsonResponse:
        return JsonResponse(_seen(request.access_token))  # type: ignore[attr-defined]


#: Path -> front door; every one needs PAYMENT (POST).
DOORS = {
    "/rar/drf/payments": "drf",
    "/rar/adrf/payments": "adrf",
    "/rar/ninja/sync": "ninja-sync",
    "/rar/ninja/async": "ninja-async",
    "/rar/plain/sync": "decorator-sync",
    "/rar/plain/async": "decorator-async",
    "/rar/class/sync": "mixin-sync",
    "/rar/class/async": "mixin-async",
}
#: Account endpoints (GET /<prefix>/<account>): the requirement comes from the URL.
ACCOUNT_DOORS = ["/rar/drf/accounts", "/rar/ninja/accounts", "/rar/plain/accounts", "/rar/class/accounts"]

urlpatterns = [
    path("", include("tests.urls")),
    path("rar/drf/payments", DrfPayment.as_view()),
    path("rar/adrf/payments", AdrfPayment.as_view()),
    path("rar/drf/accounts/<str:account>", DrfAccount.as_view()),
    path("rar/drf/misconfigured", DrfMisconfigured.as_view()),
    path("rar/ninja/", api.urls),
    path("rar/plain/sync", plain_sync),
    path("rar/plain/async", plain_async),
    path("rar/plain/accounts/<str:account>", plain_account),
    path("rar/class/sync", ClassSync.as_view()),
    path("rar/class/async", ClassAsync.as_view()),
    path("rar/class/accounts/<str:account>", ClassAccount.as_view()),
]
