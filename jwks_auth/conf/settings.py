"""Settings for jwks_auth, read lazily from ``settings.JWKS_AUTH``.

Like DRF's ``api_settings``: values are read on first use, cached, and
dropped when Django's ``setting_changed`` signal names ``JWKS_AUTH`` or
``CACHES``, so ``override_settings`` works in tests. Objects built from the
settings (issuer configs, key stores, the validator) register a reset hook
here and are rebuilt on the next request.

Each default has one home: the per-issuer settings are the fields of
``IssuerConfig`` (their names, defaults and conversions), the others
``_GLOBAL_DEFAULTS``; their types are checked in ``settings_schema``, and
every bad value is one ``ConfigurationError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from jwks_auth import __version__
from jwks_auth.conf import schema as settings_schema
from jwks_auth.conf.profiles import PROFILES
from jwks_auth.exceptions import ConfigurationError


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


def _setting(
    name: str,
    convert: Callable[[Any], Any],
    *,
    from_profile: bool = False,
    empty_is_default: bool = False,
    **kwargs: Any,
) -> Any:
    """A field that is also the per-issuer setting ``name``.

    ``convert`` turns the setting's value into the field's; ``None`` (and, with
    ``empty_is_default``, an empty value) leaves the profile's value, if it has
    one, else the field's default. ``from_profile`` settings default to ``None``
    in ``DEFAULTS``: the profile decides.
    """
    metadata = {"setting": name, "convert": convert, "from_profile": from_profile, "empty_is_default": empty_is_default}
    return field(metadata=metadata, **kwargs)


@dataclass(frozen=True)
class IssuerConfig:
    """Everything needed to validate the tokens of one trusted issuer."""

    issuer: str = _setting("ISSUER", str)
    audiences: frozenset[str] = _setting("AUDIENCE", _strings, default=frozenset())
    algorithms: frozenset[str] = _setting("ALGORITHMS", _strings, empty_is_default=True, default=frozenset({"RS256"}))
    jwks_uri: str | None = _setting("JWKS_URI", str, empty_is_default=True, default=None)
    profile: str = _setting("PROFILE", str, empty_is_default=True, default="rfc9068")
    aliases: frozenset[str] = _setting("ALIASES", _strings, default=frozenset())
    leeway: float = _setting("LEEWAY", float, default=60.0)
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
    user_id_claim: str = _setting("USER_ID_CLAIM", str, empty_is_default=True, default="sub")
    introspection: Mapping[str, Any] | None = _setting("INTROSPECTION", dict, empty_is_default=True, default=None)
    required_one_of: tuple[str, ...] = _setting(
        "REQUIRED_ONE_OF",
        lambda v: tuple(str(c) for c in _as_list(v)),
        from_profile=True,
        default=(),
    )
    user_prefix: str = _setting("USER_PREFIX", str, default="")
    # Sender-constrained tokens (jwks_auth.sender): "off", "allowed" or "required".
    dpop: str = _setting("DPOP", str, empty_is_default=True, default="allowed")
    dpop_nonce: bool = _setting("DPOP_NONCE", bool, default=False)

    @property
    def accepted_issuers(self) -> frozenset[str]:
        return self.aliases | {self.issuer}

    @property
    def asks_dpop_nonce(self) -> bool:
        """``DPOP_NONCE`` in effect: never while ``DPOP`` is off, since no proof could carry the nonce."""
        return self.dpop_nonce and self.dpop != "off"


def _setting_default(spec: Field[Any]) -> Any:
    """The field's default as a setting value (a list for a set or a tuple); ``None``: the profile's."""
    if spec.metadata["from_profile"] or spec.default is MISSING:
        return None
    value = spec.default
    if isinstance(value, frozenset):
        return sorted(value)
    return list(value) if isinstance(value, tuple) else value


_ISSUER_FIELDS = tuple(spec for spec in fields(IssuerConfig))
#: Per-issuer settings consumed before an IssuerConfig exists: tenant templates.
_TEMPLATE_DEFAULTS: dict[str, Any] = {"TENANTS": []}
PER_ISSUER_KEYS = tuple(spec.metadata["setting"] for spec in _ISSUER_FIELDS) + tuple(_TEMPLATE_DEFAULTS)

#: Settings that are not per issuer (those are the fields of ``IssuerConfig``, above).
_GLOBAL_DEFAULTS: dict[str, Any] = {
    # Several issuers, each a dict of the per-issuer keys; set at the top
    # level, per-issuer keys are defaults for every issuer.
    "ISSUERS": [],
    # Key fetching.
    "CACHE_ALIAS": "default",
    "CACHE_KEY_PREFIX": "jwks_auth",
    "HTTP_TIMEOUT": (2.0, 4.0),  # connect, read (seconds)
    "HTTP_VERIFY": True,  # or a CA bundle path
    "HTTP_PROXIES": None,
    "USER_AGENT": f"django-jwks-auth/{__version__} (+django)",
    "MAX_RESPONSE_BYTES": 512 * 1024,
    "ALLOW_INSECURE_HTTP": False,  # http:// key URLs off loopback (dev only)
    "JWKS_DEFAULT_TTL": 600,  # soft lifetime without Cache-Control
    "JWKS_MIN_TTL": 60,
    "JWKS_MAX_TTL": 86400,
    "JWKS_STALE_TTL": 86400,  # hard limit for serving the last good set
    "JWKS_REFRESH_AHEAD": 30,  # refresh this long before the soft expiry
    "JWKS_RETRY_INTERVAL": 5,  # pause after a failed fetch
    "DISCOVERY_TTL": 86400,
    "LOCAL_TTL": 30,  # per-process copy, before looking at the shared cache
    "UNKNOWN_KID_COOLDOWN": 30,
    # Tokens.
    "MAX_TOKEN_LENGTH": 16384,
    "TOKEN_CACHE_SIZE": 4096,
    "IS_REVOKED": None,  # dotted path of a callable(claims) -> bool
    "CLAIM_RULES": "jwks_auth.validation.claims.ClaimRules",  # a subclass overrides or adds claim checks
    # DRF integration.
    "REALM": "api",
    "USER_RESOLVER": "jwks_auth.users.token_user",
    # jwks_auth.users.django_user: Django users from tokens.
    "USER_CREATE": False,
    "USER_LOOKUP_FIELD": None,  # None: the user model's USERNAME_FIELD
    "USER_CLAIM_FIELDS": {},  # claim -> model field, written only when the value changed
    "RESOURCE": None,  # RFC 9728 resource identifier
    "RESOURCE_SCOPES": [],
    "RESOURCE_DOCUMENTATION": None,
    # Sender-constrained tokens (jwks_auth.sender): DPoP proofs (RFC 9449) and client certificates (RFC 8705).
    "DPOP_ALGORITHMS": ["ES256", "PS256", "EdDSA", "Ed25519"],  # RS256 may be added
    "DPOP_IAT_MAX_AGE": 60,  # seconds a proof stays acceptable (and its jti remembered)
    "DPOP_IAT_MAX_AHEAD": 5,  # seconds a proof's iat may be ahead of this clock
    "DPOP_JTI_MAX_LENGTH": 256,
    "DPOP_MAX_PROOF_LENGTH": 8192,
    "DPOP_NONCE_STEP": 60,  # a server nonce is good for one to two steps
    "PUBLIC_ORIGINS": [],  # e.g. ["https://api.example.com"]: the URLs clients use, for htu
    "TRUSTED_PROXIES": [],  # addresses or CIDRs whose forwarded and certificate headers are believed
    # The forwarded headers the trusted proxies set (and replace): only these are believed, for htu.
    "FORWARDED_HEADERS": ["X-Forwarded-Proto", "X-Forwarded-Host"],  # or ["Forwarded"] (RFC 7239)
    "CLIENT_CERT_HEADER": None,  # e.g. "X-SSL-Client-Cert", "X-Forwarded-Client-Cert", "Client-Cert"
    "CLIENT_CERT_FORMAT": "escaped-pem",  # escaped-pem (nginx, Kong), xfcc (Envoy), rfc9440, base64-der
    # Operations (jwks_auth.ops).
    "METRICS": True,  # record Prometheus metrics when prometheus-client is installed
    "READINESS_TIMEOUT": 2.0,  # longest /readyz waits for keys to load (seconds)
    # jwks_auth.middleware.TokenMiddleware.
    "MIDDLEWARE_EXEMPT_PATHS": [],  # paths ("/metrics") or prefixes ("/hooks/") whose tokens it does not look at
}

DEFAULTS: dict[str, Any] = {
    **{spec.metadata["setting"]: _setting_default(spec) for spec in _ISSUER_FIELDS},
    **_TEMPLATE_DEFAULTS,
    **_GLOBAL_DEFAULTS,
}

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
        if self._user is None:
            self._user = dict(getattr(settings, "JWKS_AUTH", None) or {})
        return self._user

    def __getattr__(self, name: str) -> Any:
        if name not in self.defaults:
            raise AttributeError(f"Invalid JWKS_AUTH setting: {name!r}")
        value = self.user_settings.get(name, self.defaults[name])
        self._cached[name] = value
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()
        self._user = None
        for hook in _reset_hooks:
            hook()


jwks_settings = JWKSAuthSettings()


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
    base = {key: user.get(key, DEFAULTS[key]) for key in PER_ISSUER_KEYS}
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
    """One issuer from its settings over its profile over the ``IssuerConfig`` defaults."""
    profile_name = entry.get("PROFILE") or _DEFAULT_PROFILE
    profile = PROFILES.get(profile_name)
    if profile is None:
        raise ConfigurationError(f"Unknown JWKS_AUTH profile {profile_name!r}; choose one of {sorted(PROFILES)}")
    values = {spec.name: _field_value(spec, entry, profile) for spec in _ISSUER_FIELDS}
    config = IssuerConfig(**{name: value for name, value in values.items() if value is not MISSING})
    # iss, exp and the audience are always required, whatever the profile says.
    required = dict.fromkeys(("iss", *config.required_claims, "exp", config.audience_claim))
    return replace(config, required_claims=tuple(required))


_DEFAULT_PROFILE: str = DEFAULTS["PROFILE"]


def issuer_configs(user: Mapping[str, Any] | None = None) -> list[IssuerConfig]:
    """The trusted issuers, in configuration order, tenant templates expanded.

    Every bad value raises ``ConfigurationError`` (and only that).
    """
    user = jwks_settings.user_settings if user is None else user
    settings_schema.validate(user, DEFAULTS)
    try:
        return [build_issuer(item) for entry in _issuer_dicts(user) for item in _expand_tenants(entry)]
    except (ValueError, TypeError, KeyError) as exc:
        # settings_schema should have said why; this keeps the promise of one error type.
        raise ConfigurationError(f"JWKS_AUTH cannot be read: {type(exc).__name__}") from exc
