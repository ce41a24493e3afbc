"""A token check for one endpoint: the front door plus the scopes it needs.

Shared by the Ninja auth (``jwks_auth.ninja``) and the plain Django
decorators (``jwks_auth.decorators``); DRF has its own permission classes.
``check`` is for sync code, ``acheck`` for an event loop (no blocking I/O on
it). Both raise the front door's ``Refusal``s, ``NoCredential`` for a request
without a token, and ``InsufficientScope``.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from jwks_auth.access_token import AccessToken
from jwks_auth.answers import NoCredential
from jwks_auth.front_door import FrontDoor
from jwks_auth.required_scopes import ScopeRequirement


class Guard:
    """``(user, token)`` for a request whose token is valid and holds the scopes needed."""

    def __init__(self, scopes: Iterable[str] | None = None, any_scopes: Iterable[str] | None = None, *,
                 door: FrontDoor | None = None, sender: Any = None) -> None:
        self.requirement = ScopeRequirement.of(scopes, any_scopes)
        self.door = door if door is not None else FrontDoor(sender=sender)

    def check(self, request: HttpRequest, *, required: bool = True) -> tuple[Any, AccessToken] | None:
        """``None`` without a credential when not ``required``; ``Refusal`` when refused."""
        found = self.door.authenticate(request)
        return self._checked(found, required)

    async def acheck(self, request: HttpRequest, *, required: bool = True) -> tuple[Any, AccessToken] | None:
        """``check`` on an event loop."""
        found = await self.door.aauthenticate(request)
        return self._checked(found, required)

    def _checked(self, found: tuple[Any, AccessToken] | None, required: bool) -> tuple[Any, AccessToken] | None:
        if found is None:
            if required:
                raise NoCredential()
            return None
        self.requirement.check(found[1])
        return found
