"""The DRF authentication class: ``Authorization: Bearer <access token>`` or ``DPoP <access token>``.

A thin adapter onto ``jwks_auth.web.request_verifier``: the core reads and
validates the token, checks its binding (DPoP proof, client certificate) and
raises a refusal (``jwks_auth.exceptions``); this class turns it into DRF's
error with ``drf_error`` (the same status, challenge, ``Retry-After`` and
body as every other door), answered by DRF's own exception handler, and
hands the credential's response headers (``DPoP-Nonce``) to the view, which
adds them to every response it finalises, errors included.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from jwks_auth.access_token import AccessToken
from jwks_auth.exceptions import NoCredential, Refusal
from jwks_auth.reasons import Reason
from jwks_auth.validation.validator import TokenValidator, get_validator
from jwks_auth.web.admission import admitted
from jwks_auth.web.challenges import drf_error
from jwks_auth.web.request_verifier import Credential, RequestVerifier, get_user_resolver, send_rejected
from jwks_auth.web.www_authenticate import FALLBACK_CHALLENGE, refusal_challenge

__all__ = ["JWKSAuthentication", "drf_error", "get_user_resolver"]


def _view_headers(request: Request, headers: dict[str, str]) -> None:
    """``headers`` on the view's answer: DRF's exception handler copies only WWW-Authenticate and
    Retry-After, but the view's ``headers`` go on every response it finalises, errors included."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    found = getattr(view, "headers", None)
    if isinstance(found, dict):
        found.update(headers)


class JWKSAuthentication(BaseAuthentication):
    """Authenticate with an access token verified by the issuer's JWKS.

    ``request.user`` is what ``USER_RESOLVER`` makes of the token (a stateless
    ``TokenUser`` by default) and ``request.auth`` is the ``AccessToken``.
    Only the Authorization header carries tokens: the URI query and form
    body methods of RFC 6750 are not accepted, and a request that also uses
    them is malformed.

    A DPoP-bound token needs ``Authorization: DPoP`` and a valid proof on
    every request; ``request.auth.binding`` says how possession was proved.

    Behind ``jwks_auth.middleware.TokenMiddleware`` the token it accepted is
    used as it is (no second check; an overridden ``get_user`` maps it)
    unless a subclass overrides ``front_door`` or ``get_validator``: then it
    checks the token again, and a DPoP proof, good once, is refused the second
    time, so such a class cannot serve DPoP behind the middleware.

    Hooks: ``get_validator`` (another ``TokenValidator``), ``get_user`` (the
    user for a token), ``rejected`` (told every refusal), ``front_door`` (the
    core, e.g. with other schemes). DRF makes an instance per request, but
    the front door is built once per class, by the first instance to need
    it, and then kept: the hooks a subclass overrides are called on that
    instance, so they should not keep per-request state.
    """

    def front_door(self) -> RequestVerifier:
        """The core, called once per class (``door``): a hook this class overrides is handed to it."""
        cls, base = type(self), JWKSAuthentication
        return RequestVerifier(
            validator=get_validator if cls.get_validator is base.get_validator else (lambda: self.get_validator()),
            get_user=None if cls.get_user is base.get_user else self.get_user,
            rejected=None if cls.rejected is base.rejected else (lambda reason, issuer: self.rejected(reason, issuer)),
            sender=JWKSAuthentication,
        )

    def door(self) -> RequestVerifier:
        """``front_door()`` of this class, built on first use and kept (it holds no settings)."""
        cls = type(self)
        door: RequestVerifier | None = cls.__dict__.get("_front_door")
        if door is None:
            door = self.front_door()
            cls._front_door = door  # type: ignore[attr-defined]
        return door

    def reuses_admitted(self) -> bool:
        """Whether a token ``TokenMiddleware`` accepted stands for this class too: yes unless it brings
        its own core or validator (then it checks the token again)."""
        cls, base = type(self), JWKSAuthentication
        return cls.front_door is base.front_door and cls.get_validator is base.get_validator

    def authenticate(self, request: Request) -> tuple[Any, AccessToken] | None:
        found = admitted(request._request)
        if found is not None and self.reuses_admitted():
            # Its headers (DPoP-Nonce) go on the answer in the middleware.
            if type(self).get_user is JWKSAuthentication.get_user:
                return found.user, found.token
            try:
                return self.door().resolve_user(found.token, found.credential), found.token
            except Refusal as refusal:
                raise drf_error(refusal) from None
        door = self.door()
        credential: Credential | None = None
        try:
            credential = door.credential(request._request)
            if credential is None:
                return None
            return door.verify(credential, request._request)
        except Refusal as refusal:
            raise drf_error(refusal) from None
        finally:
            if credential is not None and credential.headers:
                _view_headers(request, credential.headers)

    def get_token(self, request: Request) -> str | None:
        """The bearer token, ``None`` without one; DRF's 400 ``invalid_request`` when malformed."""
        try:
            credential: Credential | None = self.door().credential(request._request)
        except Refusal as refusal:
            raise drf_error(refusal) from None
        return None if credential is None else credential.token

    def get_validator(self) -> TokenValidator:
        """The validator to use; override for another one (the default: from the settings)."""
        return get_validator()

    def get_user(self, token: AccessToken) -> Any:
        """Map the token to ``request.user``; may raise ``TokenError``."""
        return get_user_resolver()(token)

    def rejected(self, reason: Reason, issuer: str | None) -> None:
        """Told every refused token: sends ``token_rejected`` and logs the reason."""
        send_rejected(JWKSAuthentication, reason, issuer)

    def authenticate_header(self, request: Request) -> str:
        return refusal_challenge(NoCredential()) or FALLBACK_CHALLENGE
