"""What ``TokenMiddleware`` accepted, kept on the request so that the doors behind it do not check it again.

``JWKSAuthentication``, ``token_required``, ``TokenRequiredMixin`` and the
Ninja auth read it with ``admitted(request)``; the middleware writes it with
``admit``. It lives below the doors so that each of them can read it without
importing another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from jwks_auth.access_token import AccessToken
from jwks_auth.web.request_verifier import Credential

_ATTRIBUTE = "_jwks_auth_admitted"


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request's token as the middleware accepted it."""

    credential: Credential
    user: Any
    token: AccessToken


def admitted(request: HttpRequest) -> Admitted | None:
    """What ``TokenMiddleware`` accepted for this (Django) request, ``None`` if it did not see a token."""
    return getattr(request, _ATTRIBUTE, None)


def admit(request: HttpRequest, credential: Credential, found: tuple[Any, AccessToken]) -> None:
    user, token = found
    setattr(request, _ATTRIBUTE, Admitted(credential, user, token))
    request.user, request.access_token = user, token  # type: ignore[attr-defined]
