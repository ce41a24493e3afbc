"""Django Ninja: ``JWKSBearer`` and ``AsyncJWKSBearer``, Ninja ``HttpBearer`` auths over the same validator as DRF.

::

    from ninja import NinjaAPI
    from jwks_auth.ninja import AsyncJWKSBearer, JWKSBearer, handle_refusals

    api = handle_refusals(NinjaAPI(auth=JWKSBearer()))

    @api.get("/orders", auth=AsyncJWKSBearer(scopes=["orders:read"]))
    async def orders(request):
        return {"sub": request.auth["sub"]}

    @api.get("/invoices", auth=JWKSBearer(scopes=["invoices:read"]))
    def invoices(request):
        return {"sub": request.auth["sub"]}

Ninja's own convention decides how each is called: ``JWKSBearer`` has a
plain ``authenticate``, ``AsyncJWKSBearer`` an ``async def authenticate``
(Ninja's ``is_async``). Use ``AsyncJWKSBearer`` on async operations: the
token is checked on the event loop without blocking it
(``TokenValidator.avalidate``) and, once verified, with no thread at all.
Either works on either kind of operation, with the same answers: Ninja runs
``JWKSBearer`` on an async operation in ``sync_to_async``'s thread, and
awaits ``AsyncJWKSBearer`` on a sync one through ``async_to_sync``.

``request.auth`` is the ``AccessToken``, ``request.user`` what
``USER_RESOLVER`` makes of it. ``scopes`` must all be held,
``any_scopes`` one of them.

A refused request raises ``BearerRefused`` (a Ninja ``HttpError`` built
from the refusal of ``jwks_auth.exceptions``), so Ninja answers with its
status and ``{"detail": ...}``. ``handle_refusals`` adds the handler that
also sends the headers DRF sends: the Bearer challenge (``error``, and
``scope`` for a 403) and ``Retry-After`` for a 503; it also puts the plain
challenge on Ninja's own 401 for a request that no auth of the operation
accepted, and the response headers of an accepted request (``DPoP-Nonce``
from an issuer with ``DPOP_NONCE``) on the operation's answer. Those headers
are in ``request.jwks_auth_headers`` (set only when there are some): Ninja
puts them on the response it builds, but an operation that returns its own
``HttpResponse`` copies them itself::

    for name, value in getattr(request, "jwks_auth_headers", {}).items():
        response[name] = value

Ninja gives an auth no hook to add the headers itself, so an API that uses
``JWKSBearer`` or ``AsyncJWKSBearer`` without ``handle_refusals`` is reported
by ``manage.py check`` (``jwks_auth.W011``, naming the API and the fix).

Needs the ``ninja`` extra (django-ninja).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.checks import Tags, Warning, register
from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from jwks_auth.access_token import AccessToken
from jwks_auth.exceptions import NoCredential, Refusal
from jwks_auth.web.authorization_details import DetailsArgument
from jwks_auth.web.endpoint_check import EndpointCheck
from jwks_auth.web.request_verifier import Credential, RequestVerifier
from jwks_auth.web.responses import answer

__all__ = ["RESPONSE_HEADERS", "AsyncJWKSBearer", "BearerRefused", "JWKSBearer", "JWKSBearerBase", "handle_refusals"]

#: The request attribute holding an accepted request's response headers (``DPoP-Nonce``).
RESPONSE_HEADERS = "jwks_auth_headers"
#: Set on an API by ``handle_refusals`` (what check W011 looks for).
_HANDLED = "jwks_auth_refusals_handled"
W011 = "jwks_auth.W011"
W012 = "jwks_auth.W012"


class BearerRefused(HttpError):
    """A refused request, as a Ninja error; ``refusal`` is the refusal (``jwks_auth.exceptions``)."""

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        self.answer = answer(refusal)
        super().__init__(self.answer.status, self.answer.detail)


class JWKSBearerBase(HttpBearer):
    """What ``JWKSBearer`` and ``AsyncJWKSBearer`` share: the requirements, the core and the admission.

    ``acr`` (any one of the values) and ``max_age`` (seconds since ``auth_time``) ask for RFC 9470 step-up:
    a token that falls short is refused with 401 ``insufficient_user_authentication``.
    ``authorization_details`` (RFC 9396: a list of objects, or a function of the request giving one) must each be
    covered by a detail of the token (403 otherwise).

    ``authenticate`` returns ``None`` for a request without a token, so that
    another auth of the operation may accept it (Ninja answers 401 when none does).
    """

    openapi_bearerFormat = "JWT"
    openapi_description = "An OAuth 2.0 access token (RFC 9068 JWT), verified with the issuer's JWKS."

    def __init__(
        self,
        scopes: Iterable[str] | None = None,
        any_scopes: Iterable[str] | None = None,
        *,
        acr: Iterable[str] | None = None,
        max_age: int | None = None,
        authorization_details: DetailsArgument = None,
    ) -> None:
        super().__init__()  # Ninja's AuthBase: is_async from whether ``authenticate`` is a coroutine function
        # Behind TokenMiddleware the token it accepted is used as it is, unless a subclass brings its own core.
        self.guard = EndpointCheck(
            scopes,
            any_scopes,
            door=self.front_door(),
            reuses_admitted=type(self).front_door is JWKSBearerBase.front_door,
            acr=acr,
            max_age=max_age,
            authorization_details=authorization_details,
        )

    def front_door(self) -> RequestVerifier:
        """The core to use; override for other schemes or validators."""
        # Signals come from the library class, as DRF's from JWKSAuthentication: a subclass is still seen.
        return RequestVerifier(sender=AsyncJWKSBearer if isinstance(self, AsyncJWKSBearer) else JWKSBearer)

    def __call__(self, request: HttpRequest) -> Any:
        # Every scheme the core reads (Bearer and DPoP), not only HttpBearer's "Bearer": the core reads the token.
        return self.authenticate(request, "")

    def credential(self, request: HttpRequest) -> Credential | None:
        """The request's credential, ``None`` without one; ``BearerRefused`` when malformed."""
        try:
            return self.guard.credential(request, required=False)
        except Refusal as refusal:
            raise BearerRefused(refusal) from None

    @staticmethod
    def admit(request: HttpRequest, found: tuple[Any, AccessToken], headers: dict[str, str]) -> AccessToken:
        """``request.user`` and the response headers of an accepted request; the token for ``request.auth``."""
        request.user = found[0]
        if headers:  # for the answer (``handle_refusals``); a plain bearer token has none
            setattr(request, RESPONSE_HEADERS, headers)
        return found[1]


class JWKSBearer(JWKSBearerBase):
    """Ninja auth: a valid access token, holding ``scopes`` (all) and one of ``any_scopes`` when given.

    A sync auth (Ninja's convention: a plain ``authenticate``), for sync
    operations; on an async one Ninja runs it in ``sync_to_async``'s thread.
    """

    def authenticate(self, request: HttpRequest, token: str) -> AccessToken | None:
        """``HttpBearer``'s hook: the request's token is what counts (the core reads it; ``token`` is not used)."""
        credential = self.credential(request)
        if credential is None:
            return None
        try:
            found = self.guard.verify(credential, request)
        except Refusal as refusal:
            raise BearerRefused(refusal) from None
        return self.admit(request, found, credential.headers)


class AsyncJWKSBearer(JWKSBearerBase):
    """``JWKSBearer`` for async operations (Ninja's convention: ``async def authenticate``).

    Checked on the event loop, blocking work (a key fetch, introspection) off it; a token verified before
    costs no thread. On a sync operation Ninja awaits it through ``async_to_sync``.
    """

    async def authenticate(self, request: HttpRequest, token: str) -> AccessToken | None:
        """``HttpBearer``'s hook, awaited by Ninja: the request's token is what counts."""
        credential = self.credential(request)
        if credential is None:
            return None
        try:
            found = await self.guard.averify(credential, request)
        except Refusal as refusal:
            raise BearerRefused(refusal) from None
        return self.admit(request, found, credential.headers)


def handle_refusals(api: NinjaAPI) -> NinjaAPI:
    """Answer ``BearerRefused`` and Ninja's 401 with the RFC 6750 headers, and an accepted request with
    ``request.jwks_auth_headers``; returns ``api``."""

    def refused(request: HttpRequest, exc: Any) -> HttpResponse:
        assert isinstance(exc, BearerRefused)  # Ninja passes the instance raised
        response = api.create_response(request, {"detail": exc.answer.detail}, status=exc.answer.status)
        for name, value in exc.answer.headers.items():
            response[name] = value
        return response

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        assert isinstance(exc, AuthenticationError)
        if exc.status_code != 401:
            return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
        return refused(request, BearerRefused(NoCredential()))  # no auth accepted the request: as DRF

    # Ninja builds an operation's answer on the "temporal response" it makes after the auth ran
    # (the one a view gets as its ``response`` argument): the headers start there.
    temporal_response = api.create_temporal_response

    def with_headers(request: HttpRequest) -> HttpResponse:
        response = temporal_response(request)
        headers: dict[str, str] | None = getattr(request, RESPONSE_HEADERS, None)
        if headers:
            for name, value in headers.items():
                response[name] = value
        return response

    api.create_temporal_response = with_headers  # type: ignore[method-assign]
    api.add_exception_handler(BearerRefused, refused)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    setattr(api, _HANDLED, True)
    return api


def _jwks_auth_used(api: NinjaAPI) -> str | None:
    """The name of the ``JWKSBearer`` or ``AsyncJWKSBearer`` class ``api`` or one of its operations
    authenticates with, ``None`` if none does."""
    auth = api.auth if isinstance(api.auth, (list, tuple)) else [api.auth]
    found = [item for item in auth if isinstance(item, JWKSBearerBase)]
    for _, operation in _operations(api):
        found += [item for item in getattr(operation, "auth_callbacks", ()) if isinstance(item, JWKSBearerBase)]
    return type(found[0]).__name__ if found else None


def _routers(api: NinjaAPI) -> list[tuple[str, Any]]:
    """``(prefix, router)`` of ``api``: its bound routers where Ninja has them (Ninja 1.7: their operations
    carry the auth they inherit from the API, ``add_router(..., auth=...)`` or ``Router(auth=...)``), else the
    routers themselves (older Ninja sets the inherited auth on those)."""
    # Only routers Ninja has already bound (a mounted API's, once the URLconf is read): binding them here would
    # freeze an API a project still adds routes to. An API that is not mounted serves nothing to warn about.
    bound = getattr(api, "_bound_routers_cache", None)
    if isinstance(bound, list):
        return [(router.prefix, router) for router in bound]
    return list(getattr(api, "_routers", ()))


def _operations(api: NinjaAPI) -> Iterator[tuple[str, Any]]:
    """Every operation of ``api``, with its path; its ``auth_callbacks`` are its effective auths."""
    for prefix, router in _routers(api):
        for path, path_view in getattr(router, "path_operations", {}).items():
            for operation in getattr(path_view, "operations", ()):
                yield f"{prefix.rstrip('/')}/{path.lstrip('/')}", operation


def _sync_auth_on_async_operations(api: NinjaAPI) -> list[str]:
    """Paths of async operations that authenticate with the sync ``JWKSBearer``: Ninja runs it in a thread."""
    return sorted(
        {
            path
            for path, operation in _operations(api)
            if getattr(operation, "is_async", False)
            and any(
                isinstance(item, JWKSBearer) and not isinstance(item, AsyncJWKSBearer)
                for item in getattr(operation, "auth_callbacks", ())
            )
        }
    )


def _module_apis() -> Iterator[tuple[str, NinjaAPI]]:
    """The ``NinjaAPI`` instances held by a module global (where projects define them), with their names."""
    for name, module in list(sys.modules.items()):
        for attribute, value in list(getattr(module, "__dict__", {}).items()):
            # type(), not isinstance(): isinstance asks a lazy object (django.contrib.admin.site) for its
            # __class__, which would build it.
            if issubclass(type(value), NinjaAPI):
                yield f"{name}.{attribute}", value


@register(Tags.security)
def check_refusal_headers(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """W011: a NinjaAPI with ``JWKSBearer`` / ``AsyncJWKSBearer`` but without ``handle_refusals`` answers refusals
    without the headers."""
    try:
        get_resolver().url_patterns  # noqa: B018 - imports the URLconf, and with it the project's APIs
    except Exception:  # a broken URLconf is Django's own check to report
        return []
    seen: set[int] = set()
    found = []
    for name, api in _module_apis():
        if id(api) in seen:
            continue
        seen.add(id(api))
        found += _async_warnings(name, api)
        if getattr(api, _HANDLED, False):
            continue
        used = _jwks_auth_used(api)
        if used is None:
            continue
        found.append(
            Warning(
                f"{name} uses {used} without handle_refusals: a refused token gets Ninja's bare 401 "
                "(no WWW-Authenticate), a 503 no Retry-After, and DPoP-Nonce is never sent.",
                hint=f"Wrap the API: {name.rpartition('.')[2]} = handle_refusals(NinjaAPI(...)) "
                "(from jwks_auth.ninja import handle_refusals).",
                id=W011,
            )
        )
    return found


def _async_warnings(name: str, api: NinjaAPI) -> list[Warning]:
    """W012: async operations of ``api`` authenticating with the sync ``JWKSBearer`` (a thread hop per request)."""
    paths = _sync_auth_on_async_operations(api)
    if not paths:
        return []
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    return [
        Warning(
            f"{name}: async operations ({shown}) authenticate with JWKSBearer, whose authenticate is sync: "
            "Ninja runs it in a thread for every request.",
            hint="Use AsyncJWKSBearer (same arguments) on async operations: "
            "from jwks_auth.ninja import AsyncJWKSBearer.",
            id=W012,
        )
    ]
