"""Plain Django views behind a token: ``token_required`` and ``TokenRequiredMixin``.

::

    @token_required(scopes=["orders:read"])
    async def orders(request):          # or a plain ``def``
        return JsonResponse({"sub": request.access_token["sub"]})

    class Orders(TokenRequiredMixin, View):
        required_scopes = ["orders:read"]

``request.access_token`` is the ``AccessToken`` and ``request.user`` what
``USER_RESOLVER`` makes of it. The view's response gets the headers the
credential's check asks for (``DPoP-Nonce`` from an issuer with ``DPOP_NONCE``),
as DRF's does. A refused request (``jwks_auth.exceptions``) gets the answer DRF gives
(``jwks_auth.web.responses.json_response``): 401 with the Bearer challenge, 400
``invalid_request``, 403 ``insufficient_scope`` with ``scope``, 503 with
``Retry-After``. An async view is checked on the loop without blocking it.
The views are CSRF-exempt, as DRF's are: the token in the ``Authorization``
header is their only credential, and a browser never sends it by itself.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from jwks_auth.access_token import AccessToken
from jwks_auth.exceptions import Refusal, TokenError
from jwks_auth.web.authorization_details import DetailsArgument, check_details, details_requirement
from jwks_auth.web.endpoint_check import EndpointCheck
from jwks_auth.web.request_verifier import Credential, reject_token
from jwks_auth.web.required_scopes import ScopeRequirement
from jwks_auth.web.responses import json_response, with_headers
from jwks_auth.web.step_up import AuthenticationRequirement

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])

__all__ = ["TokenRequiredMixin", "token_required"]


def _credential(request: HttpRequest, guard: EndpointCheck) -> Credential:
    """The request's credential, read here and not in ``guard.check``: its headers go on the view's answer.

    ``NoCredential`` without one, ``InvalidRequest`` when malformed.
    """
    credential = guard.credential(request)
    assert credential is not None  # required: a missing credential is refused
    return credential


def _admit(request: HttpRequest, found: tuple[Any, AccessToken]) -> None:
    """``request.user`` and ``request.access_token`` for a verified credential (``guard.verify`` or ``averify``)."""
    request.user, request.access_token = found  # type: ignore[attr-defined]


def _guarded(view: ViewFunc, guard: EndpointCheck) -> ViewFunc:
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                credential = _credential(request, guard)
                _admit(request, await guard.averify(credential, request))
            except Refusal as refusal:
                return json_response(refusal)
            return with_headers(await view(request, *args, **kwargs), credential.headers)

        return csrf_exempt(async_wrapper)  # type: ignore[return-value]

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            credential = _credential(request, guard)
            _admit(request, guard.verify(credential, request))
        except Refusal as refusal:
            return json_response(refusal)
        return with_headers(view(request, *args, **kwargs), credential.headers)

    return csrf_exempt(wrapper)  # type: ignore[return-value]


@overload
def token_required(view: ViewFunc, /) -> ViewFunc: ...
@overload
def token_required(
    *,
    scopes: Iterable[str] | None = None,
    any_scopes: Iterable[str] | None = None,
    acr: Iterable[str] | None = None,
    max_age: int | None = None,
    authorization_details: DetailsArgument = None,
) -> Callable[[ViewFunc], ViewFunc]: ...
def token_required(
    view: ViewFunc | None = None,
    /,
    *,
    scopes: Iterable[str] | None = None,
    any_scopes: Iterable[str] | None = None,
    acr: Iterable[str] | None = None,
    max_age: int | None = None,
    authorization_details: DetailsArgument = None,
) -> ViewFunc | Callable[[ViewFunc], ViewFunc]:
    """A view that needs a valid token holding every scope of ``scopes`` (and one of ``any_scopes``).

    ``acr`` (any one of the values) and ``max_age`` (seconds since ``auth_time``) ask for RFC 9470 step-up:
    a token that falls short gets 401 ``insufficient_user_authentication``. ``authorization_details`` (RFC 9396:
    a list of objects, or a function of the request giving one) must each be covered by a detail of the token:
    403 otherwise.
    """
    guard = EndpointCheck(
        scopes,
        any_scopes,
        sender=token_required,
        acr=acr,
        max_age=max_age,
        authorization_details=authorization_details,
    )
    if view is not None:
        return _guarded(view, guard)
    return lambda func: _guarded(func, guard)


class TokenRequiredMixin:
    """A class-based view that needs a valid token; ``required_scopes`` / ``any_scopes`` name the scopes,
    ``required_acr`` (any one) / ``max_auth_age`` (seconds) the authentication it needs (RFC 9470),
    ``required_authorization_details`` (or ``get_required_authorization_details(request)``) the RFC 9396
    details its token must cover."""

    required_scopes: Sequence[str] | None = None
    any_scopes: Sequence[str] | None = None
    required_acr: Sequence[str] | None = None
    max_auth_age: int | None = None
    required_authorization_details: Sequence[Mapping[str, Any]] | None = None
    view_is_async: bool

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        view: Callable[..., HttpResponseBase] = super().as_view(**initkwargs)  # type: ignore[misc]
        return csrf_exempt(view)

    def get_guard(self) -> EndpointCheck:
        """The guard for this view's scopes: one per set of scopes, kept (a guard holds no settings)."""
        return _mixin_guard(self.required_scopes, self.any_scopes, self.required_acr, self.max_auth_age)

    def get_required_authorization_details(self, request: HttpRequest) -> Iterable[Mapping[str, Any]] | None:
        """The RFC 9396 details this request needs; override to compute them (the account in the URL)."""
        return self.required_authorization_details

    def _check_details(self, request: HttpRequest, credential: Credential) -> None:
        required = self.get_required_authorization_details(request)
        if required is None:
            return
        try:
            check_details(request.access_token, details_requirement(required))  # type: ignore[attr-defined]
        except Refusal as refusal:
            if isinstance(refusal, TokenError):  # malformed authorization_details: a refused token
                reject_token(refusal, request.access_token.issuer, TokenRequiredMixin)  # type: ignore[attr-defined]
            refusal.headers.update(credential.headers)  # the proof was good: the next nonce too
            raise

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if self.view_is_async:
            return self._adispatch(request, *args, **kwargs)
        guard = self.get_guard()
        try:
            credential = _credential(request, guard)
            _admit(request, guard.verify(credential, request))
            self._check_details(request, credential)
        except Refusal as refusal:
            return json_response(refusal)
        return with_headers(super().dispatch(request, *args, **kwargs), credential.headers)  # type: ignore[misc]

    async def _adispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        guard = self.get_guard()
        try:
            credential = _credential(request, guard)
            _admit(request, await guard.averify(credential, request))
            self._check_details(request, credential)
        except Refusal as refusal:
            return json_response(refusal)
        return with_headers(await super().dispatch(request, *args, **kwargs), credential.headers)  # type: ignore[misc]


_mixin_guards: dict[tuple[ScopeRequirement, AuthenticationRequirement], EndpointCheck] = {}


def _mixin_guard(
    scopes: Iterable[str] | None,
    any_scopes: Iterable[str] | None,
    acr: Iterable[str] | None = None,
    max_age: int | None = None,
) -> EndpointCheck:
    """``TokenRequiredMixin``'s guard for these requirements, built once per set (they come from code: few sets)."""
    # ImproperlyConfigured for bad names or values, every time.
    key = (ScopeRequirement.of(scopes, any_scopes), AuthenticationRequirement.of(acr, max_age))
    guard = _mixin_guards.get(key)
    if guard is None:
        guard = _mixin_guards[key] = EndpointCheck(
            scopes, any_scopes, sender=TokenRequiredMixin, acr=acr, max_age=max_age
        )
    return guard
