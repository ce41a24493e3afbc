"""Ninja operations that return their own ``HttpResponse``: Ninja sends it as is, so ``handle_refusals``
cannot add the accepted request's headers; the operations that copy ``request.jwks_auth_headers`` do as
jwks_auth/ninja.py's docstring and docs/front-doors.md show."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from jwks_auth.ninja import JWKSBearer, handle_refusals

api = handle_refusals(NinjaAPI(urls_namespace="ninja-own-response", docs_url=None))

BODY = "own body"


def _own(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"{BODY} for {request.auth['sub']}", content_type="text/plain")  # type: ignore[attr-defined]


def _copied(request: HttpRequest) -> HttpResponse:
    response = _own(request)
    for name, value in getattr(request, "jwks_auth_headers", {}).items():
        response[name] = value
    return response


@api.get("/own", auth=JWKSBearer(scopes=["api1"]))
def own(request: HttpRequest) -> HttpResponse:
    return _own(request)


@api.get("/copied", auth=JWKSBearer(scopes=["api1"]))
def copied(request: HttpRequest) -> HttpResponse:
    return _copied(request)


@api.get("/acopied", auth=JWKSBearer(scopes=["api1"]))
async def acopied(request: HttpRequest) -> HttpResponse:
    return _copied(request)
