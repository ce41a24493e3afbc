"""The Ninja API of the test project: the same ``/me`` as DRF's, as sync and async operations.

Ninja's convention: ``JWKSBearer`` (a sync ``authenticate``) on the sync
operation, ``AsyncJWKSBearer`` on the async one; and each on the other kind
of operation (``/me-async-auth``, ``/ame-sync-auth``), which Ninja calls
through ``async_to_sync`` / ``sync_to_async``: the same answers, every door.
"""

from __future__ import annotations

import os
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI

from jwks_auth.ninja import AsyncJWKSBearer, JWKSBearer, handle_refusals

api = handle_refusals(NinjaAPI(urls_namespace="ninja-tests", docs_url=None))


def _me(request: HttpRequest) -> dict[str, Any]:
    return {"sub": request.auth["sub"], "scopes": sorted(request.auth.scopes), "pid": os.getpid()}  # type: ignore[attr-defined]


@api.get("/me", auth=JWKSBearer(scopes=["api1"]))
def me_sync(request: HttpRequest) -> dict[str, Any]:
    return _me(request)


@api.get("/ame", auth=AsyncJWKSBearer(scopes=["api1"]))
async def me_async(request: HttpRequest) -> dict[str, Any]:
    return _me(request)


@api.get("/me-async-auth", auth=AsyncJWKSBearer(scopes=["api1"]))
def me_sync_async_auth(request: HttpRequest) -> dict[str, Any]:
    return _me(request)


@api.get("/ame-sync-auth", auth=JWKSBearer(scopes=["api1"]))
async def me_async_sync_auth(request: HttpRequest) -> dict[str, Any]:
    return _me(request)


@api.get("/open")
async def open_async(request: HttpRequest) -> dict[str, Any]:
    """No authentication at all: what Ninja's own async path costs, for comparison."""
    return {"pid": os.getpid()}


@api.get("/any", auth=JWKSBearer(any_scopes=["admin", "api1"]))
async def any_scope(request: HttpRequest) -> dict[str, Any]:
    return _me(request)


@api.get("/admin", auth=JWKSBearer(scopes=["api1", "admin"]))
def admin(request: HttpRequest) -> dict[str, Any]:
    return _me(request)
