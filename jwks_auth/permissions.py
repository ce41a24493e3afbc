"""DRF permission classes that check the scopes of the access token.

Scopes come from the view (``required_scopes``, or
``required_scopes_by_method`` / ``read_scopes`` + ``write_scopes``) or from
``HasScopes.require("a", "b")``. An anonymous request gets DRF's 401 with
the plain Bearer challenge; a token without a needed scope gets 403 with
``error="insufficient_scope"`` and the scopes it needs.

The classes compose with DRF's ``&``, ``|`` and ``~``. A scope permission
that fails raises the 403 itself (DRF's own operators cannot carry a
challenge), so the operators built from a scope permission evaluate their
operands without raising and raise once, at the top, when the whole
expression denies: ``HasScopes.require("admin") | HasScopes.require("read")``
admits a token with either scope. Keep a scope permission on the left of, or
inside, such an expression; DRF's own operators (built when the left operand
is a plain DRF permission expression such as ``(A | B)``) stop at the first
raise.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import product
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import (
    SAFE_METHODS,
    BasePermission,
    BasePermissionMetaclass,
    OperandHolder,
    OperationHolderMixin,
    SingleOperandHolder,
)
from rest_framework.request import Request

from jwks_auth.access_token import AccessToken
from jwks_auth.authentication import JWKSAuthentication
from jwks_auth.exceptions import InsufficientScope, Refusal, TokenError
from jwks_auth.validation.hints import explain_insufficient_scope
from jwks_auth.web.authorization_details import check_details, details_requirement
from jwks_auth.web.challenges import RefusedRequest, drf_error
from jwks_auth.web.request_verifier import reject_token
from jwks_auth.web.step_up import AuthenticationRequirement

__all__ = [
    "HasAnyScope",
    "HasAuthenticationContext",
    "HasAuthorizationDetails",
    "HasMethodScopes",
    "HasScopes",
    "ScopePermission",
]

_MISSING = object()

#: The result of a quiet check: allowed, and if not, the scopes that would allow it.
Check = tuple[bool, "frozenset[str] | None"]


def _token_scopes(request: Request) -> frozenset[str] | None:
    token = getattr(request, "auth", None)
    return token.scopes if isinstance(token, AccessToken) else None


def _insufficient(scopes: Iterable[str]) -> RefusedRequest:
    return drf_error(InsufficientScope(scopes))


def _quiet_check(permission: Any, request: Request, view: Any) -> Check:
    """Evaluate any permission without letting a scope failure escape."""
    if isinstance(permission, (ScopePermission, _ScopeOperator)):
        return permission.check(request, view)
    try:
        return bool(permission.has_permission(request, view)), None
    except RefusedRequest as exc:  # a scope permission nested in DRF's operators
        if not isinstance(exc.refusal, InsufficientScope):
            raise
        return False, exc.refusal.scopes


def _raise_or_return(result: Check) -> bool:
    allowed, missing = result
    if not allowed and missing:
        raise _insufficient(missing)
    return allowed


# -- composition ------------------------------------------------------------------------
class _ScopeOperator:
    def check(self, request: Request, view: Any) -> Check:  # pragma: no cover - abstract
        raise NotImplementedError

    def has_permission(self, request: Request, view: Any) -> bool:
        return _raise_or_return(self.check(request, view))


class _ScopeAND(_ScopeOperator):
    def __init__(self, op1: Any, op2: Any) -> None:
        self.op1, self.op2 = op1, op2

    def check(self, request: Request, view: Any) -> Check:
        first = _quiet_check(self.op1, request, view)
        return first if not first[0] else _quiet_check(self.op2, request, view)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return bool(
            self.op1.has_object_permission(request, view, obj) and self.op2.has_object_permission(request, view, obj)
        )

    def schema_alternatives(self, request: Request, view: Any) -> list[frozenset[str]] | None:
        parts = [alts for alts in (_alternatives(op, request, view) for op in (self.op1, self.op2)) if alts is not None]
        if not parts:
            return None
        return [frozenset().union(*combo) for combo in product(*parts)]


class _ScopeOR(_ScopeOperator):
    def __init__(self, op1: Any, op2: Any) -> None:
        self.op1, self.op2 = op1, op2

    def check(self, request: Request, view: Any) -> Check:
        missing: set[str] = set()
        for op in (self.op1, self.op2):
            allowed, needed = _quiet_check(op, request, view)
            if allowed:
                return True, None
            missing |= needed or set()
        return False, frozenset(missing) or None

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return any(
            _quiet_check(op, request, view)[0] and op.has_object_permission(request, view, obj)
            for op in (self.op1, self.op2)
        )

    def schema_alternatives(self, request: Request, view: Any) -> list[frozenset[str]] | None:
        parts = [alts for alts in (_alternatives(op, request, view) for op in (self.op1, self.op2)) if alts is not None]
        return [alt for alts in parts for alt in alts] if parts else None


class _ScopeNOT(_ScopeOperator):
    def __init__(self, op1: Any) -> None:
        self.op1 = op1

    def check(self, request: Request, view: Any) -> Check:
        return not _quiet_check(self.op1, request, view)[0], None

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return not self.op1.has_object_permission(request, view, obj)

    def schema_alternatives(self, request: Request, view: Any) -> None:
        return None


# The DRF stubs type operator_class as an instance and the operands as permission classes;
# at runtime both are classes, and the operands here may be any permission expression.
class _ScopeHolderMixin(OperationHolderMixin):
    def __and__(self, other: Any) -> _ScopeOperandHolder:
        return _ScopeOperandHolder(_ScopeAND, self, other)  # type: ignore[arg-type]

    def __rand__(self, other: Any) -> _ScopeOperandHolder:
        return _ScopeOperandHolder(_ScopeAND, other, self)  # type: ignore[arg-type]

    def __or__(self, other: Any) -> _ScopeOperandHolder:
        return _ScopeOperandHolder(_ScopeOR, self, other)  # type: ignore[arg-type]

    def __ror__(self, other: Any) -> _ScopeOperandHolder:
        return _ScopeOperandHolder(_ScopeOR, other, self)  # type: ignore[arg-type]

    def __invert__(self) -> _ScopeSingleOperandHolder:
        return _ScopeSingleOperandHolder(_ScopeNOT, self)  # type: ignore[arg-type]


class _ScopeOperandHolder(_ScopeHolderMixin, OperandHolder):
    pass


class _ScopeSingleOperandHolder(_ScopeHolderMixin, SingleOperandHolder):
    pass


class ScopePermissionMetaclass(_ScopeHolderMixin, BasePermissionMetaclass):  # type: ignore[misc]
    """``&``, ``|`` and ``~`` on scope permissions build scope-aware operators."""


# -- the permissions ------------------------------------------------------------------------
class ScopePermission(BasePermission, metaclass=ScopePermissionMetaclass):
    """Base class: subclasses say which scopes and whether all or any are needed."""

    #: Set by ``require()``: a frozenset, as ``check`` compares it with the token's scopes on every request.
    scopes: frozenset[str] | None = None
    require_all = True

    @classmethod
    def require(cls, *scopes: str) -> type[ScopePermission]:
        """A subclass bound to ``scopes``: ``permission_classes = [HasScopes.require("api1")]``."""
        if not scopes or not all(isinstance(scope, str) and scope and " " not in scope for scope in scopes):
            raise ImproperlyConfigured(f"{cls.__name__}.require() needs one or more scope names")
        return type(f"{cls.__name__}({' '.join(scopes)})", (cls,), {"scopes": frozenset(scopes)})

    def get_required_scopes(self, request: Request, view: Any) -> Iterable[str] | None:
        """The scopes for this request; ``None`` denies it outright."""
        if self.scopes is not None:
            return self.scopes
        required: Any = getattr(view, "required_scopes", _MISSING)  # read once: it may be a property
        if required is _MISSING:
            raise ImproperlyConfigured(
                f"{type(view).__name__} uses {type(self).__name__} without required_scopes; set the view's "
                f"required_scopes (an empty list for none) or use {type(self).__name__}.require(...)"
            )
        return required or ()

    def check(self, request: Request, view: Any) -> Check:
        granted = _token_scopes(request)
        if granted is None:
            return False, None  # not authenticated by a token: DRF answers 401
        required = self.get_required_scopes(request, view)
        if required is None:
            return False, None
        if not required:
            return True, None
        if not isinstance(required, frozenset):
            required = frozenset(required)
        allowed = required <= granted if self.require_all else not required.isdisjoint(granted)
        token = request.auth
        if not allowed and isinstance(token, AccessToken):
            explain_insufficient_scope(token.claims, token.config, required - granted)
        return allowed, None if allowed else required

    def has_permission(self, request: Request, view: Any) -> bool:
        return _raise_or_return(self.check(request, view))

    def schema_alternatives(self, request: Request, view: Any) -> list[frozenset[str]] | None:
        """The scope sets any one of which satisfies this permission (for OpenAPI)."""
        required = self.get_required_scopes(request, view)
        if required is None:
            return None
        required = frozenset(required)
        if self.require_all or len(required) < 2:
            return [required]
        return [frozenset({scope}) for scope in sorted(required)]


class HasScopes(ScopePermission):
    """The token must carry every required scope."""


class HasAnyScope(ScopePermission):
    """The token must carry at least one of the required scopes."""

    require_all = False


class HasMethodScopes(ScopePermission):
    """Scopes by HTTP method.

    ``view.required_scopes_by_method = {"GET": [...], "POST": [...]}``, or
    ``view.read_scopes`` for safe methods and ``view.write_scopes`` for the
    rest. A method the map does not name (and no ``"*"`` entry) is denied:
    forgetting a method must not open it.
    """

    def get_required_scopes(self, request: Request, view: Any) -> Iterable[str] | None:
        method = (request.method or "").upper()
        by_method = getattr(view, "required_scopes_by_method", None)
        if by_method is not None:
            # Looked up as written first (upper case, usually): no upper-cased copy of the map per request.
            found = by_method.get(method, _MISSING)
            if found is not _MISSING:
                return found  # type: ignore[no-any-return]
            fallback = None
            for name, scopes in by_method.items():
                upper = str(name).upper()
                if upper == method:
                    return scopes  # type: ignore[no-any-return]
                if upper == "*":
                    fallback = scopes
            return fallback
        name = "read_scopes" if method in SAFE_METHODS else "write_scopes"
        return getattr(view, name, None)


def _alternatives(permission: Any, request: Request | None, view: Any) -> list[frozenset[str]] | None:
    method = getattr(permission, "schema_alternatives", None)
    return method(request, view) if method is not None else None


def required_scope_alternatives(view: Any, request: Request | None = None) -> list[frozenset[str]]:
    """Scope sets, any one of which the view's permissions accept (``[frozenset()]``: none needed)."""
    request = request if request is not None else getattr(view, "request", None)
    parts = [alts for alts in (_alternatives(p, request, view) for p in view.get_permissions()) if alts is not None]
    if not parts:
        return [frozenset()]
    combined = [frozenset().union(*combo) for combo in product(*parts)]
    return list(dict.fromkeys(combined))


# -- RFC 9470 step-up ---------------------------------------------------------------------------
class HasAuthenticationContext(BasePermission):
    """The token's authentication must be strong and recent enough (RFC 9470).

    Reads the view's ``required_acr`` (a list of ``acr`` values, any one of
    which suffices) and ``max_auth_age`` (seconds since the token's
    ``auth_time``; a token without ``auth_time`` falls short), or what
    ``HasAuthenticationContext.require(acr=[...], max_age=...)`` binds; a view
    may compute them per request by overriding ``get_authentication_requirement``.
    A shortfall is a 401 ``insufficient_user_authentication`` whose challenge
    (on the scheme the request used) names ``acr_values`` and ``max_age``; a
    malformed ``acr`` or ``auth_time`` is a 401 ``invalid_token``.
    """

    #: Set by ``require()``; ``None`` reads the view's attributes.
    requirement: AuthenticationRequirement | None = None

    @classmethod
    def require(cls, *, acr: Iterable[str] | None = None, max_age: int | None = None) -> type[HasAuthenticationContext]:
        """A subclass bound to ``acr`` / ``max_age``, for ``permission_classes``."""
        requirement = AuthenticationRequirement.of(acr, max_age)
        if not requirement:
            raise ImproperlyConfigured(f"{cls.__name__}.require() needs acr values or a max_age")
        name = f"{cls.__name__}({' '.join(requirement.acr_values)};{max_age})"
        return type(name, (cls,), {"requirement": requirement})

    def get_authentication_requirement(self, request: Request, view: Any) -> AuthenticationRequirement:
        """What this request needs: the bound requirement, or the view's ``required_acr`` / ``max_auth_age``."""
        if self.requirement is not None:
            return self.requirement
        acr = getattr(view, "required_acr", None)
        max_age = getattr(view, "max_auth_age", None)
        if acr is None and max_age is None:
            raise ImproperlyConfigured(
                f"{type(view).__name__} uses {type(self).__name__} without required_acr or max_auth_age"
            )
        # A list becomes a (hashable) tuple; anything else goes as it is, for of() to refuse ("urn:mfa" included).
        return _authentication_requirement(tuple(acr) if isinstance(acr, list) else acr, max_age)

    def has_permission(self, request: Request, view: Any) -> bool:
        token = getattr(request, "auth", None)
        if not isinstance(token, AccessToken):
            return False  # not authenticated by a token: DRF answers 401
        try:
            self.get_authentication_requirement(request, view).check(token)
        except Refusal as refusal:  # a shortfall, or a malformed acr or auth_time
            raise _refused(refusal, token) from None
        return True


#: Requirements by (acr values, max age): they come from code, so there are few.
_requirements: dict[tuple[Any, Any, type], AuthenticationRequirement] = {}


def _authentication_requirement(acr: Any, max_age: Any) -> AuthenticationRequirement:
    # The type too: True and 1.0 equal 1 (and hash alike), but of() refuses them where it takes 1.
    key = (acr, max_age, type(max_age))
    try:
        requirement = _requirements.get(key)
    except TypeError:  # an unhashable value: of() says what is wrong with it
        requirement = None
    if requirement is None:
        requirement = AuthenticationRequirement.of(acr, max_age)  # ImproperlyConfigured for bad values
        if len(_requirements) < 256:  # a view computing them per request must not grow this without bound
            _requirements[key] = requirement
    return requirement


def _refused(refusal: Refusal, token: AccessToken) -> RefusedRequest:
    """The DRF error of a permission's refusal; a malformed claim (a ``TokenError``) is a refused token, counted
    and signalled as the authentication class's refusals are."""
    if isinstance(refusal, TokenError):
        reject_token(refusal, token.issuer, JWKSAuthentication)
    return drf_error(refusal)


# -- RFC 9396 rich authorization requests ----------------------------------------------------------
class HasAuthorizationDetails(BasePermission):
    """The token's ``authorization_details`` must cover the request (RFC 9396).

    Reads the view's ``required_authorization_details``: a list of objects,
    each with a ``type`` and any of ``actions``, ``locations``, ``datatypes``,
    ``privileges`` (lists the token's detail must include) and ``identifier``
    (equal); each must be covered by a detail of the token, whose own
    ``locations``, if any, must name this API (``RESOURCE`` or the issuer's
    ``AUDIENCE``). A view computes them from the request by defining
    ``get_required_authorization_details(request)`` (the account in the URL).
    A shortfall is a 403 ``insufficient_scope`` with a fixed description; a
    malformed ``authorization_details`` a 401 ``invalid_token``.
    """

    def get_required_authorization_details(self, request: Request, view: Any) -> Any:
        compute = getattr(view, "get_required_authorization_details", None)
        if compute is not None:
            return compute(request)
        required = getattr(view, "required_authorization_details", _MISSING)
        if required is _MISSING:
            raise ImproperlyConfigured(
                f"{type(view).__name__} uses {type(self).__name__} without required_authorization_details "
                "or get_required_authorization_details(request)"
            )
        return required

    def has_permission(self, request: Request, view: Any) -> bool:
        token = getattr(request, "auth", None)
        if not isinstance(token, AccessToken):
            return False  # not authenticated by a token: DRF answers 401
        required = details_requirement(self.get_required_authorization_details(request, view))
        try:
            check_details(token, required)
        except Refusal as refusal:  # a shortfall, or malformed authorization_details
            raise _refused(refusal, token) from None
        return True
