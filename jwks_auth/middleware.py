"""Refuse a bad token before routing: ``jwks_auth.middleware.TokenMiddleware``.

A request that presents a token (``Authorization: Bearer`` or ``DPoP``) must
present a valid one, whatever the endpoint, as Spring Security's resource
server does. A refused one is answered here (401, 400 or 503, the answer DRF
gives: ``jwks_auth.web.responses``) before URL routing, the view, and DRF's request,
negotiation, exception handler and rendering are paid for: a flood of forged
tokens then costs the signature check and little else.

An accepted token is kept on the request (``request.access_token``,
``request.user``, and ``admitted(request)``): ``JWKSAuthentication``,
``token_required``, ``TokenRequiredMixin`` and the Ninja auth use it rather
than check it again (a subclass's own ``get_user`` maps it), unless a
subclass brings its own core or validator. Its response headers
(``DPoP-Nonce``) go on whatever the view answers. A request without a token
passes untouched: the endpoint decides whether it needs one. So does one to
a path of ``MIDDLEWARE_EXEMPT_PATHS`` (a scraper's own bearer token on
``/metrics``, a webhook's): the middleware does not look at its token, and a
view there that authenticates with jwks_auth checks it itself.

List it last in ``MIDDLEWARE``, after ``CorsMiddleware`` (a browser must be
able to read the refusal) and after ``AuthenticationMiddleware`` if any (the
token's user replaces the session's).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from jwks_auth.conf import rules
from jwks_auth.conf.settings import FromSettings, jwks_settings
from jwks_auth.exceptions import Refusal
from jwks_auth.web.admission import Admitted, admit, admitted
from jwks_auth.web.request_verifier import Credential, RequestVerifier
from jwks_auth.web.responses import json_response, with_headers

__all__ = ["Admitted", "TokenMiddleware", "admitted", "exempt_paths"]


#: (exact paths, prefixes) from MIDDLEWARE_EXEMPT_PATHS, parsed once per settings.
def _read_exemptions() -> tuple[frozenset[str], tuple[str, ...]]:
    value = jwks_settings.MIDDLEWARE_EXEMPT_PATHS
    if rules.url_paths(value) is not None:
        value = []  # reported by the checks (E009); a bad value exempts nothing rather than everything
    return frozenset(p for p in value if not p.endswith("/")), tuple(p for p in value if p.endswith("/"))


_exemptions = FromSettings(_read_exemptions)


def exempt_paths() -> tuple[frozenset[str], tuple[str, ...]]:
    """``MIDDLEWARE_EXEMPT_PATHS`` as (exact paths, prefixes): an entry ending in ``/`` is a prefix."""
    return _exemptions.get()


def _is_receiver(request: HttpRequest) -> bool:
    """The Shared Signals push endpoint: its ``Authorization`` is the transmitter's secret, not an access token."""
    from jwks_auth.ssf.push import receive_pushed_set

    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return match.func is receive_pushed_set


class TokenMiddleware:
    """Verify a presented token once, before routing; answer a refused one at once."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.door = self.front_door()
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def front_door(self) -> RequestVerifier:
        """The core; override for other schemes or hooks (called once per middleware chain)."""
        return RequestVerifier(sender=TokenMiddleware)

    def is_exempt(self, request: HttpRequest) -> bool:
        """True to pass the request on without looking at its token: by default, when its path is in
        ``MIDDLEWARE_EXEMPT_PATHS``."""
        exact, prefixes = exempt_paths()
        path = request.path_info
        return path in exact or path.startswith(prefixes) or (path.endswith("/ssf/events") and _is_receiver(request))

    def presented(self, request: HttpRequest) -> Credential | None:
        """The credential to verify: ``None`` for a request without one or to an exempt path (it passes
        untouched); ``InvalidRequest`` when malformed."""
        if self.is_exempt(request):
            return None
        return self.door.credential(request)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        try:
            credential = self.presented(request)
            if credential is None:
                return self.get_response(request)
            admit(request, credential, self.door.verify(credential, request))
        except Refusal as refusal:
            return json_response(refusal)
        return with_headers(self.get_response(request), credential.headers)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        try:
            credential = self.presented(request)
            if credential is None:
                return await get_response(request)
            admit(request, credential, await self.door.averify(credential, request))
        except Refusal as refusal:
            return json_response(refusal)
        return with_headers(await get_response(request), credential.headers)
