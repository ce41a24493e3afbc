"""The peers' glue: a hand-written DRF class over PyJWT's PyJWKClient, and stateless users."""

from __future__ import annotations

from typing import Any

import jwt
from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request


class ClaimsUser:
    """A user known only from its token's claims (what every peer gets, so none reads a database)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self.id = self.pk = self.username = str(claims.get("sub", ""))


def oidc_user(request: Any, id_token: dict[str, Any]) -> ClaimsUser:
    """drf-oidc-auth's OIDC_RESOLVE_USER_FUNCTION: no database lookup."""
    return ClaimsUser(dict(id_token))


_client: jwt.PyJWKClient | None = None


def client() -> jwt.PyJWKClient:
    global _client
    if _client is None:
        _client = jwt.PyJWKClient(settings.PYJWKCLIENT["JWKS_URI"], cache_keys=True, lifespan=300)
    return _client


class PyJWKClientAuthentication(BaseAuthentication):
    """What a team writes from PyJWT's documentation: the key by kid, then jwt.decode with aud and iss."""

    def authenticate(self, request: Request) -> tuple[ClaimsUser, dict[str, Any]] | None:
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        conf = settings.PYJWKCLIENT
        try:
            key = client().get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=conf["AUDIENCE"],
                issuer=conf["ISSUER"],
                leeway=60,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError:
            raise AuthenticationFailed("invalid token") from None
        return ClaimsUser(claims), claims

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class FloorAuthentication(PyJWKClientAuthentication):
    """The floor: a dict from token to verdict in front of the PyJWKClient class.

    A repeated token costs one dict lookup, the least any DRF authenticator
    can cost, so this peer's `/me - /` is what DRF's authentication,
    permission and the claims' rendering cost around a token check of zero.
    Bench only: it keys by the raw token and never forgets an expiry.
    """

    verdicts: dict[str, tuple[ClaimsUser, dict[str, Any]]] = {}

    def authenticate(self, request: Request) -> tuple[ClaimsUser, dict[str, Any]] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        known = self.verdicts.get(header)
        if known is not None:
            return known
        verdict = super().authenticate(request)
        if verdict is not None:
            if len(self.verdicts) > 10_000:
                self.verdicts.clear()
            self.verdicts[header] = verdict
        return verdict
