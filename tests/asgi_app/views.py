"""Plain Django views (sync, async, class-based), an adrf view and the loop-lag probe."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from adrf.views import APIView as AsyncAPIView
from django.http import HttpRequest, JsonResponse
from django.views import View
from rest_framework.request import Request
from rest_framework.response import Response

from jwks_auth.decorators import TokenRequiredMixin, token_required
from jwks_auth.permissions import HasScopes
from jwks_auth.web.endpoint_check import EndpointCheck
from jwks_auth.web.request_verifier import Refusal
from jwks_auth.web.responses import json_response


def _me(request: HttpRequest) -> dict[str, Any]:
    token = request.access_token  # type: ignore[attr-defined]
    return {"sub": token["sub"], "scopes": sorted(token.scopes), "pid": os.getpid()}


@token_required(scopes=["api1"])
def plain_sync(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_me(request))


@token_required(scopes=["api1"])
async def plain_async(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_me(request))


async def plain_open(request: HttpRequest) -> JsonResponse:
    """No authentication at all: what Django's own async path costs, for comparison."""
    return JsonResponse({"pid": os.getpid()})


@token_required
async def plain_any_token(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_me(request))


class ClassSync(TokenRequiredMixin, View):
    required_scopes = ["api1"]

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(_me(request))


class ClassAsync(TokenRequiredMixin, View):
    required_scopes = ["api1"]

    async def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(_me(request))


class AdrfMe(AsyncAPIView):  # type: ignore[misc]
    """DRF through adrf: an async APIView with JWKSAuthentication (the default class) and HasScopes."""

    permission_classes = [HasScopes.require("api1")]

    async def get(self, request: Request) -> Response:
        return Response({"sub": request.auth["sub"], "scopes": sorted(request.auth.scopes), "pid": os.getpid()})


def pid(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"pid": os.getpid()})


_probe_guard = EndpointCheck(["api1"])


async def lag_probe(request: HttpRequest) -> JsonResponse:
    """Checks the request's token while measuring how late the loop runs a 10 ms ticker.

    With a cold key store and a slow provider the check waits for the fetch;
    a loop blocked by it would show a lag as long as the fetch.
    """
    tick, worst = 0.01, 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not done.is_set():
            before = time.monotonic()
            await asyncio.sleep(tick)
            worst = max(worst, time.monotonic() - before - tick)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # the ticker runs before the check starts
    started = time.monotonic()
    try:
        await _probe_guard.acheck(request)
        status = 200
    except Refusal as refusal:
        status = json_response(refusal).status_code
    elapsed = time.monotonic() - started
    done.set()
    await task
    return JsonResponse({"status": status, "max_lag": worst, "elapsed": elapsed, "pid": os.getpid()})
