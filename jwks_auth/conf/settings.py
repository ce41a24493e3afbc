"""Settings for jwks_auth, read lazily from ``settings.JWKS_AUTH``.

Like DRF's ``api_settings``: values are read on first use, cached, and
dropped when Django's ``setting_changed`` signal names ``JWKS_AUTH`` or
``CACHES``, so ``override_settings`` works in tests. Objects built from the
settings (issuer configs, key stores, the validator) register a reset hook
here and are rebuilt on the next request.

Each setting is declared once, in ``jwks_auth.conf.table`` (name, default,
type rule, scope, check id, docs); ``IssuerConfig``'s fields add only how a
per-issuer value is converted. Grouped settings (``HTTP``, ``KEY_STORE``,
``RESOURCE_METADATA``) read as dicts with every key filled in; the pre-1.0
flat spellings are folded into them (``table.normalise``). Every bad value
is one ``ConfigurationError`` (``jwks_auth.conf.schema``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from jwks_auth.conf import schema as settings_schema
from jwks_auth.conf.profiles import PROFILES
from jwks_auth.conf.security_profile import FAPI2, FAPI2_ALGORITHMS, FAPI2_MAX_LEEWAY, profile_values
from jwks_auth.conf.table import BY_NAME, LEGACY_BY_NAME, SETTINGS, normalise
from jwks_auth.exceptions import ConfigurationError

T = TypeVar("T")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [value]
    return list(value)


def normalise_typ(value: str | None) -> str | None:
    """RFC 7515 4.1.9: compare case-insensitively, ``application/`` optional."""
    if value is None:
        return None
    value = value.lower()
    return value[12:] if value.startswith("application/") else value


def _strings(value: Any) -> frozenset[str]:
    return frozenset(str(item) for item in _as_list(value))


def _claim_paths(value: Any) -> tuple[str | tuple[str, ...], ...]:
    return tuple(
        tuple(str(part) for part in name) if isinstance(name, (list, tuple)) else str(name) for name in _as_list(value)
    )


def _actors(value: Any) -> frozenset[tuple[str | None, str]]:
    """``ACCEPTED_ACTORS`` as ``(iss, sub)`` pairs, ``iss`` ``None`` for an actor named by its ``sub`` alone."""
    return frozenset(
        (None, str(item)) if isinstance(item, str) else (item.get("iss"), str(item["sub"])) for item in _as_list(value)
    )


def _setting(
    name: str,
    convert: Callable[[Any], Any],
    *,
    from_profile: bool = False,
    empty_is_default: bool = False,
    **kwargs: Any,
) -> Any:
    """A field that is also the per-issuer setting ``name`` (declared in ``jwks_auth.conf.table``).

    ``convert`` turns the setting's value into the field's; ``None`` (and, with
    ``empty_is_default``, an empty value) leaves the profile's value, if it has
    one, else the field's default: the table's default, converted. A
    ``from_profile`` setting has no default of its own (``None`` in the table:
    the profile decides); its field keeps a fallback for a profile without it.
    """
    metadata = {"setting": name, "convert": convert, "from_profile": from_profile, "empty_is_default": empty_is_default}
    if not from_profile and not kwargs:
        default = BY_NAME[name].default
        if default is not None:
            converted = convert(default)
            kwargs = (
                {"default_factory": lambda: convert(default)} if isinstance(converted, dict) else {"default": converted}
            )
        elif name != "ISSUER":
            kwargs = {"default": None}
    return field(metadata=metadata, **kwargs)


@dataclass(frozen=True)
class IssuerConfig:
    """Everything needed to validate the tokens of one trusted issuer."""

    issuer: str = _setting("ISSUER", str)
    audiences: frozenset[str] = _setting("AUDIENCE", _strings)
    algorithms: frozenset[str] = _setting("ALGORITHMS", _strings, empty_is_default=True)
    jwks_uri: str | None = _setting("JWKS_URI", str, empty_is_default=True)
    profile: str = _setting("PROFILE", str, empty_is_default=True)
    aliases: frozenset[str] = _setting("ALIASES", _strings)
    leeway: float = _setting("LEEWAY", float)
    token_types: frozenset[str | None] = _setting(
        "TOKEN_TYPES",
        lambda v: frozenset(normalise_typ(t) for t in _as_list(v)),
        from_profile=True,
        default=frozenset({"at+jwt"}),
    )
    required_claims: tuple[str, ...] = _setting(
        "REQUIRED_CLAIMS",
        lambda v: tuple(str(c) for c in _as_list(v)),
        from_profile=True,
        default=(),
    )
    audience_claim: str = _setting("AUDIENCE_CLAIM", str, from_profile=True, default="aud")
    claim_values: Mapping[str, Any] = _setting("CLAIM_VALUES", dict, from_profile=True, default_factory=dict)
    scope_claims: tuple[str | tuple[str, ...], ...] = _setting(
        "SCOPE_CLAIMS",
        _claim_paths,
        from_profile=True,
        default=("scope",),
    )
    user_id_claim: str = _setting("USER_ID_CLAIM", str, empty_is_default=True)
    introspection: Mapping[str, Any] | None = _setting("INTROSPECTION", dict, empty_is_default=True)
    required_one_of: tuple[str, ...] = _setting(
        "REQUIRED_ONE_OF",
        lambda v: tuple(str(c) for c in _as_list(v)),
        from_profile=True,
        default=(),
    )
    user_prefix: str = _setting("USER_PREFIX", str)
    # Sender-constrained tokens (jwks_auth.sender): "off", "allowed" or "required".
    dpop: str = _setting("DPOP", str, empty_is_default=True)
    dpop_nonce: bool = _setting("DPOP_NONCE", bool)
    #: ``"fapi2"`` or ``None`` (jwks_auth.conf.security_profile).
    security_profile: str | None = _setting("SECURITY_PROFILE", str)
    #: RFC 8693 actors a token's outermost ``act`` may name, as ``(iss or None, sub)``; ``None``: any.
    accepted_actors: frozenset[tuple[str | None, str]] | None = _setting("ACCEPTED_ACTORS", _actors)

    @property
    def accepted_issuers(self) -> frozenset[str]:
        return self.aliases | {self.issuer}

    @property
    def asks_dpop_nonce(self) -> bool:
        """``DPOP_NONCE`` in effect: never while ``DPOP`` is off, since no proof could carry the nonce."""
        return self.dpop_nonce and self.dpop != "off"

    @property
    def sender_constrained(self) -> bool:
        """Only sender-constrained tokens (DPoP or certificate-bound) are accepted: ``SECURITY_PROFILE`` fapi2."""
        return self.security_profile == FAPI2

    @cached_property
    def binds_every_token(self) -> bool:
        """Whether even a token without ``cnf`` sent as Bearer has its request checked (``sender.constraint``).

        Read on every request: computed once, then an attribute.
        """
        return self.dpop == "required" or self.asks_dpop_nonce or self.security_profile is not None


_ISSUER_FIELDS = tuple(spec for spec in fields(IssuerConfig))
#: Per-issuer settings consumed before an IssuerConfig exists: tenant templates.
_TEMPLATE_KEYS = ("TENANTS",)
PER_ISSUER_KEYS = tuple(spec.metadata["setting"] for spec in _ISSUER_FIELDS) + _TEMPLATE_KEYS

#: Every setting's default, from the table (a grouped setting's: a dict of all its keys).
DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}

_reset_hooks: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> Callable[[], None]:
    """Register a function called whenever the settings change."""
    _reset_hooks.append(hook)
    return hook


class JWKSAuthSettings:
    """Attribute access to ``JWKS_AUTH`` with defaults, cached until reload."""

    def __init__(self, defaults: Mapping[str, Any] | None = None) -> None:
        self.defaults = dict(defaults or DEFAULTS)
        self._cached: dict[str, Any] = {}
        self._user: dict[str, Any] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        """``JWKS_AUTH`` as the user wrote it, old flat spellings folded into their groups."""
        if self._user is None:
            self._user = normalise(dict(getattr(settings, "JWKS_AUTH", None) or {}))
        return self._user

    def __getattr__(self, name: str) -> Any:
        if name not in self.defaults:
            raise AttributeError(f"Invalid JWKS_AUTH setting: {name!r}")
        value = self.user_settings.get(name, self.defaults[name])
        setting = BY_NAME.get(name)
        if setting is not None and setting.keys and isinstance(self.defaults[name], dict):
            # A group: every key filled in; a value that is not a dict is reported by the checks and ignored here.
            value = {**self.defaults[name], **(value if isinstance(value, dict) else {})}
        self._cached[name] = value
        setattr(self, name, value)
        return value

    def legacy(self, name: str) -> Any:
        """A pre-1.0 setting that is now a class attribute (``table.LEGACY``), if the user still sets it; else None.

        The code that owns the attribute reads it as an override until 1.1; ``jwks_auth.W010`` names the new way.
        """
        if name not in LEGACY_BY_NAME:
            raise AttributeError(f"Not a pre-1.0 JWKS_AUTH setting: {name!r}")
        # user_settings keeps these names (only grouped ones are folded away), cached until the next reload.
        return self.user_settings.get(name)

    def read_instead(self, user: Mapping[str, Any]) -> None:
        """Read ``user`` instead of ``settings.JWKS_AUTH`` until the next reload.

        For the testing kit, which keeps a test's own cache namespace when the test replaces ``JWKS_AUTH``.
        """
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()
        self._user = normalise(dict(user))

    def reload(self) -> None:
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()
        self._user = None
        for hook in _reset_hooks:
            hook()


jwks_settings = JWKSAuthSettings()


class FromSettings(Generic[T]):
    """An object built from the settings on first use, kept, and dropped whenever they change.

    The one mechanism for what the settings build once per process (the validator, the user resolver, the
    DPoP components, ...): ``get()`` calls ``build`` the first time and returns its result until the next
    settings change. A ``build`` that raises keeps nothing, so the next ``get()`` tries again.
    """

    __slots__ = ("_build", "_value")

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        on_reset(self.reset)

    def get(self) -> T:
        value = self._value
        if value is None:
            value = self._value = self._build()
        return value

    def reset(self) -> None:
        self._value = None


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in ("JWKS_AUTH", "CACHES"):
        jwks_settings.reload()


setting_changed.connect(_reload)


def import_setting(name: str) -> Any:
    """The object setting ``name`` holds: a dotted path imported (the one place that does), or itself.

    ``None`` stays ``None``; a path that cannot be imported, or that names
    something not callable, is a ``ConfigurationError``.
    """
    value = getattr(jwks_settings, name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as exc:
            raise ConfigurationError(f"JWKS_AUTH['{name}'] cannot be imported: {exc}") from exc
    if not callable(value):
        raise ConfigurationError(f"JWKS_AUTH['{name}'] must be a dotted path or a callable.")
    return value


def _issuer_dicts(user: Mapping[str, Any]) -> list[dict[str, Any]]:
    # Only what the user set: a setting left out takes the profile's value, else the IssuerConfig default.
    base = {key: user[key] for key in PER_ISSUER_KEYS if key in user}
    entries = _as_list(user.get("ISSUERS"))
    if not entries:
        return [base] if base.get("ISSUER") else []
    merged = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"ISSUER": entry}
        # Where an issuer lives is never inherited from the top level.
        combined = {**base, "ISSUER": None, "JWKS_URI": None, "ALIASES": [], "TENANTS": []}
        combined.update(entry)
        merged.append(combined)
    return merged


def _expand_tenants(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """An issuer written as a template ``{tenant}`` becomes one issuer per allowed tenant."""
    issuer = str(entry.get("ISSUER") or "")
    if "{tenant}" not in issuer:
        return [entry]
    expanded = []
    for tenant in _as_list(entry.get("TENANTS")):
        item = dict(entry)
        for key in ("ISSUER", "JWKS_URI", "USER_PREFIX"):
            if item.get(key):
                item[key] = str(item[key]).replace("{tenant}", str(tenant))
        item["ALIASES"] = [str(alias).replace("{tenant}", str(tenant)) for alias in _as_list(entry.get("ALIASES"))]
        expanded.append(item)
    return expanded


def _field_value(spec: Field[Any], entry: Mapping[str, Any], profile: Mapping[str, Any]) -> Any:
    name = spec.metadata["setting"]
    value = entry.get(name)
    if value is None or (spec.metadata["empty_is_default"] and not value):
        value = profile.get(name)
    return MISSING if value is None else spec.metadata["convert"](value)


def build_issuer(entry: Mapping[str, Any]) -> IssuerConfig:
    """One issuer from its settings over its profile over the ``IssuerConfig`` defaults.

    A ``SECURITY_PROFILE`` fills in the settings left out and narrows the others to what it allows
    (``jwks_auth.conf.security_profile``); ``manage.py check`` reports the settings it narrowed.
    """
    entry = profile_values(entry)
    profile_name = entry.get("PROFILE") or _DEFAULT_PROFILE
    profile = PROFILES.get(profile_name)
    if profile is None:
        raise ConfigurationError(f"Unknown JWKS_AUTH profile {profile_name!r}; choose one of {sorted(PROFILES)}")
    values = {spec.name: _field_value(spec, entry, profile) for spec in _ISSUER_FIELDS}
    config = IssuerConfig(**{name: value for name, value in values.items() if value is not MISSING})
    # iss, exp and the audience are always required, whatever the profile says.
    required = dict.fromkeys(("iss", *config.required_claims, "exp", config.audience_claim))
    config = replace(config, required_claims=tuple(required))
    if config.security_profile == FAPI2:
        # Never looser than the profile, whatever the settings say (they are reported by the checks).
        config = replace(
            config,
            algorithms=config.algorithms & FAPI2_ALGORITHMS,
            leeway=min(config.leeway, FAPI2_MAX_LEEWAY),
        )
    return config


_DEFAULT_PROFILE: str = BY_NAME["PROFILE"].default


def issuer_entries(user: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each issuer's settings as the user set them (top level under ``ISSUERS`` entries, templates expanded),
    in the order of ``issuer_configs``; for checks that look at what was written, not what was built."""
    return [item for entry in _issuer_dicts(user) for item in _expand_tenants(entry)]


def issuer_configs(user: Mapping[str, Any] | None = None) -> list[IssuerConfig]:
    """The trusted issuers, in configuration order, tenant templates expanded.

    Every bad value raises ``ConfigurationError`` (and only that).
    """
    user = jwks_settings.user_settings if user is None else user
    settings_schema.validate(user, DEFAULTS)
    try:
        return [build_issuer(item) for item in issuer_entries(user)]
    except (ValueError, TypeError, KeyError) as exc:
        # settings_schema should have said why; this keeps the promise of one error type.
        raise ConfigurationError(f"JWKS_AUTH cannot be read: {type(exc).__name__}") from exc
