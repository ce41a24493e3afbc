"""A token check for one endpoint: the front door plus the scopes it needs.

Shared by the Ninja auth (``jwks_auth.ninja``) and the plain Django
decorators (``jwks_auth.decorators``); DRF has its own permission classes.
``check`` is for sync code, ``acheck`` for an event loop (no blocking I/O on
it). Both raise the refusals of ``jwks_auth.exceptions``: the front door's,
``NoCredential`` for a request without a token, ``InsufficientUserAuthentication``
(RFC 9470 step-up: ``acr``, ``max_age``), ``InsufficientScope`` and
``InsufficientAuthorizationDetails`` (RFC 9396 ``authorization_details``), in that order.

An adapter that must also send the response headers of an accepted request
(``DPoP-Nonce``) reads the credential itself, as DRF's does:
``credential = guard.credential(request)``, then ``guard.verify(credential,
request)`` (or ``averify``) and ``credential.headers`` for the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from jwks_auth.access_token import AccessToken
from jwks_auth.exceptions import NoCredential, Refusal, TokenError
from jwks_auth.web.admission import admitted
from jwks_auth.web.authorization_details import DetailsArgument, DetailsCheck
from jwks_auth.web.request_verifier import Credential, RequestVerifier, count_rejected
from jwks_auth.web.required_scopes import ScopeRequirement
from jwks_auth.web.step_up import AuthenticationRequirement


class EndpointCheck:
    """``(user, token)`` for a request whose token is valid and holds the scopes needed."""

    def __init__(
        self,
        scopes: Iterable[str] | None = None,
        any_scopes: Iterable[str] | None = None,
        *,
        door: RequestVerifier | None = None,
        sender: Any = None,
        reuses_admitted: bool | None = None,
        acr: Iterable[str] | None = None,
        max_age: int | None = None,
        authorization_details: DetailsArgument = None,
    ) -> None:
        self.requirement = ScopeRequirement.of(scopes, any_scopes)
        # None when the endpoint asks for no authentication context: nothing read, nothing paid.
        self.authentication = AuthenticationRequirement.of(acr, max_age) or None
        # RFC 9396: a list of objects, or a function of the request giving one; None when none is needed.
        self.details = DetailsCheck(authorization_details) or None
        self.door = door if door is not None else RequestVerifier(sender=sender)
        # A token TokenMiddleware accepted stands for this guard's check when its core is the default one.
        self.reuses_admitted = door is None if reuses_admitted is None else reuses_admitted

    def check(self, request: HttpRequest, *, required: bool = True) -> tuple[Any, AccessToken] | None:
        """``None`` without a credential when not ``required``; ``Refusal`` when refused."""
        credential = self.credential(request, required=required)
        return None if credential is None else self.verify(credential, request)

    async def acheck(self, request: HttpRequest, *, required: bool = True) -> tuple[Any, AccessToken] | None:
        """``check`` on an event loop."""
        credential = self.credential(request, required=required)
        return None if credential is None else await self.averify(credential, request)

    def credential(self, request: HttpRequest, *, required: bool = True) -> Credential | None:
        """The request's credential; ``None`` without one when not ``required``, else ``NoCredential``."""
        credential = self.door.credential(request)
        if credential is None and required:
            raise NoCredential()
        return credential

    def verify(self, credential: Credential, request: HttpRequest) -> tuple[Any, AccessToken]:
        """``(user, token)`` for ``credential``; its ``headers`` are then the answer's (``DPoP-Nonce``)."""
        found = self._from_middleware(request)
        return found or self._scoped(self.door.verify(credential, request), credential, request)

    async def averify(self, credential: Credential, request: HttpRequest) -> tuple[Any, AccessToken]:
        """``verify`` on an event loop."""
        found = self._from_middleware(request)
        return found or self._scoped(await self.door.averify(credential, request), credential, request)

    def _from_middleware(self, request: HttpRequest) -> tuple[Any, AccessToken] | None:
        """``(user, token)`` of the token ``TokenMiddleware`` accepted, if it stands for this check, scoped."""
        found = admitted(request) if self.reuses_admitted else None
        if found is None:
            return None
        return self._scoped((found.user, found.token), found.credential, request)

    def _scoped(
        self, found: tuple[Any, AccessToken], credential: Credential, request: HttpRequest
    ) -> tuple[Any, AccessToken]:
        """``found`` if its token meets the authentication needed and holds the scopes; else the refusal."""
        try:
            if self.authentication is not None:
                self.authentication.check(found[1])
            self.requirement.check(found[1])
            if self.details is not None:
                self.details.check(found[1], request)
        except Refusal as refusal:
            if isinstance(refusal, TokenError):  # a malformed acr, auth_time or authorization_details
                count_rejected(refusal, found[1].issuer, 0.0, self.door.rejected)
            # The proof was good: the 403 carries the next nonce too, as DRF's does (view headers).
            refusal.headers.update(credential.headers)
            raise
        return found
