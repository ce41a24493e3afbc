"""Ninja specifics: the security scheme in its OpenAPI, and jwks_auth without django-ninja."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.asgi_app.api import api

REPO = Path(__file__).resolve().parents[2]


def test_openapi_names_the_bearer_scheme_on_every_operation(jwks_config: Any) -> None:
    schema = api.get_openapi_schema()
    # Ninja names a scheme after the auth's class: JWKSBearer and AsyncJWKSBearer describe the same one.
    for name in ("JWKSBearer", "AsyncJWKSBearer"):
        scheme = schema["components"]["securitySchemes"][name]
        assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and scheme["bearerFormat"] == "JWT"
    # /open is the unauthenticated endpoint the thread-hop test compares with: it names no scheme.
    security = {
        path: op["security"] for path, item in schema["paths"].items() if path != "/ninja/open" for op in item.values()
    }
    assert security == {
        "/ninja/me": [{"JWKSBearer": []}],
        "/ninja/ame": [{"AsyncJWKSBearer": []}],
        "/ninja/me-async-auth": [{"AsyncJWKSBearer": []}],
        "/ninja/ame-sync-auth": [{"JWKSBearer": []}],
        "/ninja/any": [{"JWKSBearer": []}],
        "/ninja/admin": [{"JWKSBearer": []}],
    }
    assert all("security" not in op for op in schema["paths"]["/ninja/open"].values())


_WITHOUT_NINJA = """
import importlib, pkgutil, sys
class NoNinja:
    def find_spec(self, name, path=None, target=None):
        if name == "ninja" or name.startswith("ninja."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NoNinja())
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "rest_framework", "jwks_auth"])
django.setup()
import jwks_auth
failed = []
for module in pkgutil.walk_packages(jwks_auth.__path__, "jwks_auth."):
    if module.name == "jwks_auth.ninja":
        continue
    importlib.import_module(module.name)
try:
    import jwks_auth.ninja
except ModuleNotFoundError as exc:
    print("ninja-missing", exc.name)
"""


def test_jwks_auth_imports_without_django_ninja() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_NINJA], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ninja-missing ninja"


def _checked_with(monkeypatch, **apis):
    import types

    from django.core.checks import run_checks

    module = types.ModuleType("natural_ninja_api")
    for name, ninja_api in apis.items():
        setattr(module, name, ninja_api)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return {
        m.id: m for m in run_checks() if m.id in ("jwks_auth.W011", "jwks_auth.W012") and "natural_ninja_api" in m.msg
    }


def test_a_ninja_api_with_jwks_bearer_but_no_handle_refusals_is_named_by_a_check(monkeypatch):
    from ninja import NinjaAPI, Router

    from jwks_auth.ninja import JWKSBearer, handle_refusals

    found = _checked_with(monkeypatch, api=NinjaAPI(auth=JWKSBearer(), urls_namespace="natural-1"))
    assert "natural_ninja_api.api" in found["jwks_auth.W011"].msg
    assert "handle_refusals" in found["jwks_auth.W011"].hint
    # An operation's own auth counts too.
    router = Router()
    router.get("/x", auth=JWKSBearer())(lambda request: {})
    by_operation = NinjaAPI(urls_namespace="natural-2")
    by_operation.add_router("/r", router)
    assert "jwks_auth.W011" in _checked_with(monkeypatch, by_operation=by_operation)
    # Wrapped as the docs say, or without JWKSBearer at all: nothing to report.
    wrapped = handle_refusals(NinjaAPI(auth=JWKSBearer(), urls_namespace="natural-3"))
    assert _checked_with(monkeypatch, wrapped=wrapped, other=NinjaAPI(urls_namespace="natural-4")) == {}


def test_an_async_operation_with_the_sync_jwks_bearer_is_named_by_a_check(monkeypatch):
    from ninja import NinjaAPI

    from jwks_auth.ninja import AsyncJWKSBearer, JWKSBearer, handle_refusals

    api = handle_refusals(NinjaAPI(urls_namespace="natural-5"))

    @api.get("/sync-auth", auth=JWKSBearer())
    async def sync_auth(request):
        return {}

    @api.get("/sync-op", auth=JWKSBearer())
    def sync_op(request):
        return {}

    @api.get("/async-auth", auth=AsyncJWKSBearer())
    async def async_auth(request):
        return {}

    found = _checked_with(monkeypatch, api=api)
    assert set(found) == {"jwks_auth.W012"}
    assert "/sync-auth" in found["jwks_auth.W012"].msg and "/sync-op" not in found["jwks_auth.W012"].msg
    assert "/async-auth" not in found["jwks_auth.W012"].msg and "AsyncJWKSBearer" in found["jwks_auth.W012"].hint
    # API-wide auth reaches the operations that do not name their own.
    wide = handle_refusals(NinjaAPI(auth=JWKSBearer(), urls_namespace="natural-6"))
    wide.get("/inherited")(sync_auth)
    assert "/inherited" in _checked_with(monkeypatch, wide=wide)["jwks_auth.W012"].msg


def test_auth_a_router_inherits_is_seen_by_the_checks(monkeypatch):
    """Ninja 1.7 puts inherited auth on the bound routers' operations only: ``Router(auth=...)``,
    ``add_router(..., auth=...)`` and API-wide auth on a router's operations must each be found, once the API
    is mounted (the checks never bind an API themselves: that would freeze one a project still adds routes to)."""
    from ninja import NinjaAPI, Router

    from jwks_auth.ninja import JWKSBearer

    def operations(router):
        router.get("/sync-op")(lambda request: {})

        async def async_op(request):
            return {}

        router.get("/async-op")(async_op)
        return router

    on_router = NinjaAPI(urls_namespace="natural-7")
    on_router.add_router("/r", operations(Router(auth=JWKSBearer())))
    on_mount = NinjaAPI(urls_namespace="natural-8")
    on_mount.add_router("/m", operations(Router()), auth=JWKSBearer())
    api_wide = NinjaAPI(auth=JWKSBearer(), urls_namespace="natural-9")
    api_wide.add_router("/w", operations(Router()))
    for name, ninja_api, prefix in (
        ("on_router", on_router, "/r"),
        ("on_mount", on_mount, "/m"),
        ("wide", api_wide, "/w"),
    ):
        assert _checked_with(monkeypatch, **{name: ninja_api}).get("jwks_auth.W012") is None  # not mounted: not bound
        ninja_api.urls  # noqa: B018 - mounted, as a URLconf does (the checks read the URLconf first)
        found = _checked_with(monkeypatch, **{name: ninja_api})
        assert set(found) == {"jwks_auth.W011", "jwks_auth.W012"}, name
        assert f"{prefix}/async-op" in found["jwks_auth.W012"].msg and "sync-op," not in found["jwks_auth.W012"].msg


def test_each_ninja_auth_signals_refusals_as_itself(tokens: dict[str, Any]) -> None:
    from django.test import Client

    from jwks_auth.ninja import AsyncJWKSBearer, JWKSBearer
    from jwks_auth.signals import token_rejected

    senders: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        senders.append(sender)

    token_rejected.connect(receiver)
    try:
        for path in ("/ninja/me", "/ninja/me-async-auth"):
            assert Client().get(path, headers={"Authorization": tokens["expired"]}).status_code == 401
    finally:
        token_rejected.disconnect(receiver)
    assert senders == [JWKSBearer, AsyncJWKSBearer]
