"""``force_token``: a given ``AccessToken`` on a test's requests, with no signature and no validation.

For tests of authorization alone (which scopes a view asks for, what it does
with the claims), as Spring Security's ``jwt()`` or DRF's
``force_authenticate``: nothing about the token is checked, not its issuer,
audience, lifetime or signature, so such a test proves nothing about
authentication. The token is handed to the front doors the way
``TokenMiddleware`` hands them a token it accepted (``jwks_auth.web.admission``),
so DRF views, Ninja's ``JWKSBearer``, ``token_required`` and
``TokenRequiredMixin`` all take it, sync and async. A request without an
``Authorization`` header gets a placeholder one, since those doors look for a
credential first; behind ``TokenMiddleware`` itself, that placeholder is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.http.request import HttpHeaders

from jwks_auth.access_token import AccessToken
from jwks_auth.web.admission import admit
from jwks_auth.web.request_verifier import BearerScheme, Credential, get_user_resolver

#: The stand-in credential of a forced token: never a valid token.
PLACEHOLDER = "forced-by-jwks_auth.testing"
_UNSET: Any = object()
_WRAPPED = "_jwks_auth_forced"


def admit_forced(request: Any, access_token: AccessToken, user: Any = _UNSET) -> None:
    """Put ``access_token`` (and its user, from ``USER_RESOLVER`` unless given) on ``request``."""
    if user is _UNSET:
        user = get_user_resolver()(access_token)
    if "HTTP_AUTHORIZATION" not in request.META:
        request.META["HTTP_AUTHORIZATION"] = f"Bearer {PLACEHOLDER}"
        if isinstance(getattr(request, "headers", None), HttpHeaders):
            request.headers = HttpHeaders(request.META)
    admit(request, Credential(BearerScheme(), PLACEHOLDER), (user, access_token))


def force_token(target: Any, access_token: AccessToken | None, *, user: Any = _UNSET) -> None:
    """Every request of ``target`` carries ``access_token``, unvalidated; ``None`` undoes it.

    ``target`` is a test client (Django's ``Client`` or ``AsyncClient``, DRF's
    ``APIClient``, Ninja's ``TestClient``) or a request (``RequestFactory``'s).
    The user is ``USER_RESOLVER``'s for the token, resolved now, unless ``user`` is given.
    """
    if isinstance(target, HttpRequest):
        if access_token is not None:
            admit_forced(target, access_token, user)
        return
    resolved = None if access_token is None or user is not _UNSET else get_user_resolver()(access_token)
    chosen = resolved if user is _UNSET else user
    owner, names = _request_hooks(target)
    for name in names:
        original = getattr(owner, _WRAPPED + name, None) or getattr(owner, name)
        if access_token is None:
            if hasattr(owner, _WRAPPED + name):
                delattr(owner, name)
                delattr(owner, _WRAPPED + name)
            continue
        setattr(owner, _WRAPPED + name, original)
        setattr(owner, name, _wrap(name, original, access_token, chosen))


def _request_hooks(target: Any) -> tuple[Any, tuple[str, ...]]:
    """Where ``target`` turns into requests: its handler's ``get_response*``, or Ninja's ``_build_request``."""
    if hasattr(target, "handler"):
        return target.handler, ("get_response", "get_response_async")
    if hasattr(target, "_build_request"):
        return target, ("_build_request",)
    raise TypeError(f"force_token cannot force a token on a {type(target).__name__}")


def _wrap(name: str, original: Callable[..., Any], access_token: AccessToken, user: Any) -> Callable[..., Any]:
    if name == "get_response_async":

        async def get_response_async(request: HttpRequest) -> Any:
            admit_forced(request, access_token, user)
            return await original(request)

        return get_response_async
    if name == "_build_request":

        def build_request(*args: Any, **kwargs: Any) -> Any:
            request = original(*args, **kwargs)
            admit_forced(request, access_token, user)
            return request

        return build_request

    def get_response(request: HttpRequest) -> Any:
        admit_forced(request, access_token, user)
        return original(request)

    return get_response


__all__ = ["PLACEHOLDER", "admit_forced", "force_token"]
