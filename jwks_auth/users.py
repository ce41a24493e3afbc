"""Who ``request.user`` is for a validated token.

The default, ``token_user``, builds a stateless ``TokenUser`` from the claims:
no database read or write per request. ``USER_RESOLVER`` names another
callable ``(AccessToken) -> user`` for deployments that want Django users;
``jwks_auth.users.django_user`` (a ``DjangoUserResolver``) is one; its options
are class attributes of a subclass::

    # myproject/users.py
    class TokenUsers(DjangoUserResolver):
        create_users = True                        # create unknown users
        lookup_field_name = "username"             # default: USERNAME_FIELD
        claim_fields = {"email": "email", "given_name": "first_name", "family_name": "last_name"}

    JWKS_AUTH = {..., "USER_RESOLVER": "myproject.users.TokenUsers"}

The user is found by the issuer's ``USER_ID_CLAIM`` (``sub``) prefixed with its
``USER_PREFIX``; mapped fields are written only when a claim's value differs
from the stored one; an inactive or unknown (and not created) user makes the
token ``invalid_token`` (401).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import IntegrityError, transaction

from jwks_auth.access_token import AccessToken
from jwks_auth.conf.settings import IssuerConfig, jwks_settings, on_reset
from jwks_auth.exceptions import ConfigurationError, TokenError
from jwks_auth.reasons import Reason

__all__ = ["DjangoUserResolver", "TokenUser", "UserRefused", "django_user", "token_user"]

logger = logging.getLogger("jwks_auth.users")

#: Fields a claim may never write: credentials, privileges, bookkeeping.
PROTECTED_FIELDS = frozenset(
    {"password", "is_superuser", "is_staff", "is_active", "last_login", "date_joined", "groups", "user_permissions"}
)


class UserRefused(TokenError):
    """The token is valid but names no usable user."""

    code = Reason.USER
    description = "user not allowed"


def issuer_config(token: AccessToken) -> IssuerConfig | None:
    """The configuration of the issuer that the token was validated for."""
    if token.config is not None:
        return token.config
    # A token built by hand (tests, custom validators): look its issuer up.
    from jwks_auth.validation.validator import get_validator

    found = get_validator().registry.get(token.issuer)
    return found[0] if found is not None else None


class TokenUser:
    """A user known only from its access token."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token: AccessToken, id_claim: str = "sub") -> None:
        self.token = token
        claims = token.claims
        # Client-credentials tokens may have no sub: fall back to the client.
        subject = claims.get(id_claim) or claims.get("client_id") or claims.get("azp") or claims.get("cid") or ""
        self.id = self.pk = self.username = str(subject)

    @property
    def claims(self) -> Mapping[str, Any]:
        return self.token.claims

    @property
    def scopes(self) -> frozenset[str]:
        return self.token.scopes

    def has_scopes(self, *scopes: str) -> bool:
        """``AccessToken.has_scopes`` of the user's token (one signature for both)."""
        return self.token.has_scopes(*scopes)

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"<TokenUser {self.username!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenUser) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


def token_user(token: AccessToken) -> TokenUser:
    """The default ``USER_RESOLVER``: the issuer's ``USER_ID_CLAIM`` names the user."""
    config = token.config if token.config is not None else issuer_config(token)
    return TokenUser(token, config.user_id_claim if config is not None else "sub")


@dataclass(frozen=True, slots=True)
class _UserFields:
    """A resolver's fields on one user model, checked once per settings: the lookup field, the claim map and
    each field's ``max_length``."""

    lookup: str
    lookup_max_length: int | None
    claims: tuple[tuple[str, str, int | None], ...]  # (claim, field, max_length)


#: (id of the resolver, model) -> (the resolver, its checked fields); emptied when the settings change.
_checked: dict[tuple[int, type], tuple[Any, _UserFields]] = {}
on_reset(_checked.clear)


class DjangoUserResolver:
    """Maps a token to a row of the user model, optionally creating it.

    Its options are class attributes: subclass, set them (or override ``user_id``,
    ``claim_values`` or ``create_user`` for other rules), and point
    ``USER_RESOLVER`` at the subclass (a class is instantiated once) or an
    instance. The pre-1.0 settings ``USER_CREATE``, ``USER_LOOKUP_FIELD`` and
    ``USER_CLAIM_FIELDS`` still override them until 1.1.
    """

    #: Create a user row for a token whose user is not in the table yet.
    create_users: bool = False
    #: The model field the token's user id is looked up in; ``None``: the model's ``USERNAME_FIELD``.
    lookup_field_name: str | None = None
    #: claim -> model field, written when the value changed (never password, is_staff, ... or the lookup field).
    claim_fields: Mapping[str, str] = MappingProxyType({})

    def option(self, legacy: str, attribute: str) -> Any:
        """A class attribute, or the pre-1.0 setting that still overrides it until 1.1."""
        value = jwks_settings.legacy(legacy)
        return getattr(self, attribute) if value is None else value

    def _fields(self, model: Any) -> _UserFields:
        """The lookup field and claim map on ``model``, checked once per settings; ``ConfigurationError``
        (a 503 naming the setting) when they name fields the model does not have, or may not write."""
        key = (id(self), model)
        found = _checked.get(key)
        if found is not None and found[0] is self:
            return found[1]
        lookup = self.lookup_field(model)
        try:
            lookup_max_length = getattr(model._meta.get_field(lookup), "max_length", None)
        except FieldDoesNotExist:
            raise ConfigurationError(
                f"JWKS_AUTH['USER_LOOKUP_FIELD'] (or {type(self).__name__}.lookup_field_name): "
                f"{model.__name__} has no field {lookup!r}"
            ) from None
        try:
            mapping = self.field_map(model, lookup)
        except (ImproperlyConfigured, FieldDoesNotExist) as exc:
            raise ConfigurationError(
                f"JWKS_AUTH['USER_CLAIM_FIELDS'] (or {type(self).__name__}.claim_fields): {exc}"
            ) from None
        claims = tuple(
            (claim, name, getattr(model._meta.get_field(name), "max_length", None)) for claim, name in mapping.items()
        )
        checked = _UserFields(lookup, lookup_max_length, claims)
        _checked[key] = (self, checked)
        return checked

    def __call__(self, token: AccessToken) -> Any:
        model = get_user_model()
        lookup = self._fields(model).lookup
        value = self.user_id(token, model, lookup)
        manager = model._default_manager
        try:
            user = manager.get(**{lookup: value})
        except model.DoesNotExist:
            if not self.option("USER_CREATE", "create_users"):
                raise UserRefused() from None
            user = self.create_user(model, lookup, value, token)
        else:
            self.update_user(user, token)
        if not getattr(user, "is_active", True):
            raise UserRefused()
        return user

    # -- hooks -------------------------------------------------------------------------
    def lookup_field(self, model: Any) -> str:
        return str(self.option("USER_LOOKUP_FIELD", "lookup_field_name") or model.USERNAME_FIELD)

    def user_id(self, token: AccessToken, model: Any, lookup: str) -> str:
        """The lookup value: the issuer's USER_ID_CLAIM, prefixed with its USER_PREFIX."""
        config = issuer_config(token)
        claim = config.user_id_claim if config is not None else "sub"
        subject = token.get(claim)
        if type(subject) is not str or not subject:
            raise UserRefused("token names no user")
        value = (config.user_prefix if config is not None else "") + subject
        max_length = self._fields(model).lookup_max_length
        if max_length and len(value) > max_length:
            raise UserRefused("token names no user")
        return value

    def field_map(self, model: Any, lookup: str) -> dict[str, str]:
        """claim -> field; ``ImproperlyConfigured`` for a field that does not exist or may not be written."""
        try:
            mapping = dict(self.option("USER_CLAIM_FIELDS", "claim_fields") or {})
        except (TypeError, ValueError):
            raise ImproperlyConfigured("must map claim names to field names") from None
        if not all(isinstance(claim, str) and isinstance(name, str) for claim, name in mapping.items()):
            raise ImproperlyConfigured("must map claim names to field names")
        for field_name in mapping.values():
            if field_name in PROTECTED_FIELDS or field_name in (lookup, model._meta.pk.name, "pk"):
                raise ImproperlyConfigured(f"USER_CLAIM_FIELDS may not write {field_name!r}")
            try:
                model._meta.get_field(field_name)
            except FieldDoesNotExist as exc:
                raise ImproperlyConfigured(f"USER_CLAIM_FIELDS: {model.__name__} has no field {field_name!r}") from exc
        return mapping

    def claim_values(self, token: AccessToken, model: Any, lookup: str) -> dict[str, Any]:
        """Field values from the mapped claims; absent or unusable claims are left out."""
        values: dict[str, Any] = {}
        for claim, field_name, max_length in self._fields(model).claims:
            value = token.get(claim)
            if value is None or not isinstance(value, (str, bool, int)):
                continue
            if isinstance(value, str) and max_length and len(value) > max_length:
                logger.info("Claim %s is longer than %s.%s; not stored", claim, model.__name__, field_name)
                continue
            values[field_name] = value
        return values

    def create_user(self, model: Any, lookup: str, value: str, token: AccessToken) -> Any:
        user = model(**{lookup: value, **self.claim_values(token, model, lookup)})
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError:
            # Created by a concurrent request meanwhile, or a mapped unique field clashes.
            try:
                user = model._default_manager.get(**{lookup: value})
            except model.DoesNotExist:
                raise UserRefused() from None
            self.update_user(user, token)
        return user

    def update_user(self, user: Any, token: AccessToken) -> None:
        """Write the mapped claims that changed, and nothing when none did."""
        model = type(user)
        changed = []
        for name, value in self.claim_values(token, model, self._fields(model).lookup).items():
            if getattr(user, name) != value:
                setattr(user, name, value)
                changed.append(name)
        if not changed:
            return
        try:
            with transaction.atomic():
                user.save(update_fields=changed)
        except IntegrityError:
            # A mapped unique field (e.g. email) clashes with another user: keep the old values.
            logger.warning("Could not update %s from the token's claims (%s)", model.__name__, ", ".join(changed))
            user.refresh_from_db(fields=changed)


#: ``"USER_RESOLVER": "jwks_auth.users.django_user"``
django_user = DjangoUserResolver()
