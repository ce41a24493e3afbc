"""RFC 9470 step-up: the authentication an endpoint needs, and the challenge of a token that falls short.

``AuthenticationRequirement.of(acr, max_age)``: the token's ``acr`` must be
one of ``acr`` (any one suffices), and its ``auth_time`` no older than
``max_age`` seconds (a token without ``auth_time`` falls short). A shortfall
is ``InsufficientUserAuthentication`` (``jwks_auth.exceptions``): 401 with
``error="insufficient_user_authentication"`` and ``acr_values`` /
``max_age`` on the challenge of the scheme the request used (RFC 9470 3),
taken from this requirement, never from the token. A malformed ``acr`` or
``auth_time`` is a 401 ``invalid_token`` (``InvalidClaims``).

Every door checks it with this one class: DRF's ``HasAuthenticationContext``,
the Ninja auth's and the decorators' ``acr=`` / ``max_age=``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from jwks_auth.access_token import AccessToken
from jwks_auth.exceptions import InsufficientUserAuthentication, InvalidClaims
from jwks_auth.validation.authentication_context import read_authentication_context

__all__ = ["AuthenticationRequirement"]

# An acr value goes into a quoted auth-param as it is: printable ASCII without space, quote or backslash.
_ACR_VALUE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def _acr_values(acr: Iterable[str] | None) -> tuple[str, ...]:
    if acr is None:
        return ()
    if isinstance(acr, str) or not isinstance(acr, Iterable):
        raise ImproperlyConfigured("acr must be a list of acr values (any one suffices)")
    values = tuple(acr)
    if not values or not all(isinstance(value, str) and _ACR_VALUE.fullmatch(value) for value in values):
        raise ImproperlyConfigured("acr must hold one or more acr values (printable ASCII, no space, quote or \\)")
    return values


def _max_age(max_age: int | None) -> int | None:
    if max_age is None:
        return None
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
        raise ImproperlyConfigured("max_age must be a whole number of seconds, 0 or more")
    return max_age


@dataclass(frozen=True)
class AuthenticationRequirement:
    """The ``acr`` values one of which the token must carry, and the oldest ``auth_time`` it may have."""

    acr_values: tuple[str, ...] = ()
    max_age: int | None = None

    @classmethod
    def of(cls, acr: Iterable[str] | None = None, max_age: int | None = None) -> AuthenticationRequirement:
        """From view attributes or decorator arguments; ``ImproperlyConfigured`` for bad ones."""
        return cls(_acr_values(acr), _max_age(max_age))

    @property
    def challenge_params(self) -> tuple[tuple[str, str], ...]:
        params: list[tuple[str, str]] = []
        if self.acr_values:
            params.append(("acr_values", " ".join(self.acr_values)))
        if self.max_age is not None:
            params.append(("max_age", str(self.max_age)))
        return tuple(params)

    def check(self, token: AccessToken, now: float | None = None) -> None:
        """``InsufficientUserAuthentication`` unless ``token`` meets it; ``InvalidClaims`` (401) for malformed ones."""
        if not self:
            return
        now = time.time() if now is None else now
        leeway = token.config.leeway if token.config is not None else 0.0
        try:
            context = read_authentication_context(token.claims, now, leeway)
        except InvalidClaims as exc:
            raise exc.for_request(token.scheme) from None
        if self.acr_values and context.acr not in self.acr_values:
            raise InsufficientUserAuthentication(self.challenge_params, scheme=token.scheme)
        if self.max_age is not None and (context.auth_time is None or now - context.auth_time > self.max_age):
            raise InsufficientUserAuthentication(self.challenge_params, scheme=token.scheme)

    def __bool__(self) -> bool:
        return bool(self.acr_values) or self.max_age is not None
