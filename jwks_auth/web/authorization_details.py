"""RFC 9396: the authorization details an endpoint needs, and the refusal of a token that lacks them.

A ``DetailRequirement`` is one object of the endpoint's
``required_authorization_details``: a ``type`` (required), and any of
``actions``, ``locations``, ``datatypes``, ``privileges`` (sets the token's
detail must include) and ``identifier`` (equal). A token's detail covers it
when the types are equal, each set is included and the identifier is equal,
and when the detail's own ``locations``, if it names any, include this API
(RFC 9396 2.2: ``locations`` plays the part of an audience): ``RESOURCE``, or
one of the issuer's ``AUDIENCE`` values. Every requirement of the list must
be covered, each by some detail of the token.

A token that falls short gets ``InsufficientAuthorizationDetails`` (``jwks_auth.exceptions``): 403
``insufficient_scope`` with a fixed description (the details asked for are
not named: they may describe an account). A malformed ``authorization_details``
is a 401 ``invalid_token`` (``InvalidClaims``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from jwks_auth.access_token import AccessToken
from jwks_auth.conf.settings import jwks_settings
from jwks_auth.exceptions import InsufficientAuthorizationDetails, InvalidClaims
from jwks_auth.validation.authorization_details import AuthorizationDetail, checked_authorization_details

_SETS = ("actions", "locations", "datatypes", "privileges")
_KNOWN = {"type", "identifier", *_SETS}


def _set(value: Any, name: str) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ImproperlyConfigured(f"an authorization detail's {name} must be a list of strings")
    items = list(value)
    if not all(isinstance(item, str) for item in items):
        raise ImproperlyConfigured(f"an authorization detail's {name} must be a list of strings")
    return frozenset(items)


@dataclass(frozen=True)
class DetailRequirement:
    """One detail the endpoint needs: ``type``, and what the token's detail of that type must include."""

    type: str
    actions: frozenset[str] = frozenset()
    locations: frozenset[str] = frozenset()
    datatypes: frozenset[str] = frozenset()
    privileges: frozenset[str] = frozenset()
    identifier: str | None = None

    @classmethod
    def of(cls, value: Any) -> DetailRequirement:
        """From one object of ``required_authorization_details``; ``ImproperlyConfigured`` for a bad one."""
        if isinstance(value, DetailRequirement):
            return value
        if not isinstance(value, Mapping):
            raise ImproperlyConfigured("required authorization details must be objects (dicts) with a type")
        unknown = set(value) - _KNOWN
        if unknown:
            raise ImproperlyConfigured(f"unknown keys in a required authorization detail: {sorted(unknown)}")
        kind, identifier = value.get("type"), value.get("identifier")
        if not isinstance(kind, str) or not kind:
            raise ImproperlyConfigured("a required authorization detail needs a string type")
        if identifier is not None and not isinstance(identifier, str):
            raise ImproperlyConfigured("an authorization detail's identifier must be a string")
        sets = {name: _set(value[name], name) for name in _SETS if name in value}
        return cls(kind, identifier=identifier, **sets)

    def covered_by(self, detail: AuthorizationDetail | Mapping[str, Any], resources: frozenset[str]) -> bool:
        """Whether ``detail`` (parsed, or a well-formed object of the claim) covers this requirement."""
        entry: Mapping[str, Any] = detail.fields if isinstance(detail, AuthorizationDetail) else detail
        if entry["type"] != self.type:
            return False
        locations = entry.get("locations")
        if locations is not None and resources.isdisjoint(locations):
            return False  # a detail for other resources
        if self.identifier is not None and entry.get("identifier") != self.identifier:
            return False
        for name in ("actions", "locations", "datatypes", "privileges"):
            needed: frozenset[str] = getattr(self, name)
            if needed and not needed.issubset(entry.get(name) or ()):
                return False
        return True


def details_requirement(value: Any) -> tuple[DetailRequirement, ...]:
    """A list of required details (objects, or ``DetailRequirement``s); ``ImproperlyConfigured`` otherwise."""
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise ImproperlyConfigured("required authorization details must be a list of objects")
    return tuple(DetailRequirement.of(item) for item in value)


def _resources(token: AccessToken) -> frozenset[str]:
    """The identifiers this API answers to in ``locations``: ``RESOURCE`` and the issuer's ``AUDIENCE``."""
    names = set(token.config.audiences) if token.config is not None else set()
    if jwks_settings.RESOURCE:
        names.add(str(jwks_settings.RESOURCE))
    return frozenset(names)


def check_details(token: AccessToken, required: Iterable[DetailRequirement]) -> None:
    """``InsufficientAuthorizationDetails`` unless every requirement is covered; ``InvalidClaims`` (401) for malformed
    details."""
    required = tuple(required)
    if not required:
        return
    try:
        details = checked_authorization_details(token.claims)
    except InvalidClaims as exc:
        raise exc.for_request(token.scheme) from None
    resources = _resources(token)
    for needed in required:
        if not any(needed.covered_by(detail, resources) for detail in details):
            raise InsufficientAuthorizationDetails(scheme=token.scheme)


#: What the Ninja auth and the decorators take: a list of objects, or a function of the request giving one.
DetailsArgument = Iterable[Mapping[str, Any]] | Callable[[Any], Iterable[Mapping[str, Any]]] | None


class DetailsCheck:
    """The details an endpoint needs, fixed or computed from the request (``authorization_details=``)."""

    def __init__(self, value: DetailsArgument) -> None:
        self.compute: Callable[[Any], Iterable[Mapping[str, Any]]] | None = None
        self.fixed: tuple[DetailRequirement, ...] = ()
        if callable(value):
            self.compute = value
        elif value is not None:
            self.fixed = details_requirement(value)

    def __bool__(self) -> bool:
        return bool(self.fixed) or self.compute is not None

    def check(self, token: AccessToken, request: Any) -> None:
        required = self.fixed if self.compute is None else details_requirement(self.compute(request))
        check_details(token, required)
