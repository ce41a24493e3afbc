"""Settings for jwks_auth, read lazily from ``settings.JWKS_AUTH``.

Like DRF's ``api_settings``: values are read on first use, cached, and
dropped when Django's ``setting_changed`` signal names ``JWKS_AUTH`` or
``CACHES``, so ``override_settings`` works in tests. Objects built from the
settings (issuer configs, key stores, the validator) register a reset hook
here and are rebuilt on the next request.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from jwks_auth import __version__
from jwks_auth.profiles import PROFILES, RFC9068_TYPES

DEFAULTS: dict[str, Any] = {
    # One issuer, given directly (the common case) ...
    "ISSUER": None,
    "AUDIENCE": [],
    "JWKS_URI": None,
    # ... or several, each a dict of the per-issuer keys below.
    "ISSUERS": [],
    # Per-issuer keys; set here they are defaults for every issuer.
    "PROFILE": "rfc9068",
    "ALGORITHMS": ["RS256"],
    "LEEWAY": 60,
    "TOKEN_TYPES": None,  # None: the profile's list
    "REQUIRED_CLAIMS": None,  # None: the profile's list
    "AUDIENCE_CLAIM": None,  # None: the profile's claim ("aud")
    "CLAIM_VALUES": None,  # exact values required, e.g. {"token_use": "access"}
    "SCOPE_CLAIMS": None,  # claims merged into the scope set; a list/tuple is a path
    "REQUIRED_ONE_OF": None,  # None: the profile's list; at least one of these claims
    "USER_ID_CLAIM": "sub",
    "USER_PREFIX": "",  # prepended to the user id by DjangoUserResolver (several issuers)
    "ALIASES": [],
    "TENANTS": [],
    "INTROSPECTION": None,  # RFC 7662 for opaque tokens: see jwks_auth.introspection
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
    # Operations (jwks_auth.ops).
    "METRICS": True,  # record Prometheus metrics when prometheus-client is installed
    "READINESS_TIMEOUT": 2.0,  # longest /readyz waits for keys to load (seconds)
}

PER_ISSUER_KEYS = (
    "ISSUER", "AUDIENCE", "JWKS_URI", "PROFILE", "ALGORITHMS", "LEEWAY", "TOKEN_TYPES",
    "REQUIRED_CLAIMS", "AUDIENCE_CLAIM", "CLAIM_VALUES", "SCOPE_CLAIMS", "USER_ID_CLAIM",
    "ALIASES", "TENANTS", "INTROSPECTION", "REQUIRED_ONE_OF", "USER_PREFIX",
)

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


@dataclass(frozen=True)
class IssuerConfig:
    """Everything needed to validate the tokens of one trusted issuer."""

    issuer: str
    audiences: frozenset[str]
    algorithms: frozenset[str]
    jwks_uri: str | None = None
    profile: str = "rfc9068"
    aliases: frozenset[str] = frozenset()
    leeway: float = 60.0
    token_types: frozenset[str | None] = frozenset({"at+jwt"})
    required_claims: tuple[str, ...] = ()
    audience_claim: str = "aud"
    claim_values: Mapping[str, Any] = field(default_factory=dict)
    scope_claims: tuple[str | tuple[str, ...], ...] = ("scope",)
    user_id_claim: str = "sub"
    introspection: Mapping[str, Any] | None = None
    required_one_of: tuple[str, ...] = ()
    user_prefix: str = ""

    @property
    def accepted_issuers(self) -> frozenset[str]:
        return self.aliases | {self.issuer}


def _issuer_dicts(user: Mapping[str, Any]) -> list[dict[str, Any]]:
    base = {key: user.get(key, DEFAULTS[key]) for key in PER_ISSUER_KEYS}
    entries = _as_list(user.get("ISSUERS"))
    if not entries:
        return [base] if base.get("ISSUER") else []
    merged = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"ISSUER": entry}
        combined = {k: v for k, v in base.items() if k not in ("ISSUER", "JWKS_URI", "ALIASES", "TENANTS")}
        combined.update({"JWKS_URI": None, "ALIASES": [], "TENANTS": []})
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


def build_issuer(entry: Mapping[str, Any]) -> IssuerConfig:
    profile_name = entry.get("PROFILE") or "rfc9068"
    profile = PROFILES.get(profile_name)
    if profile is None:
        raise ValueError(f"Unknown JWKS_AUTH profile {profile_name!r}; choose one of {sorted(PROFILES)}")

    def pick(key: str, fallback: Any) -> Any:
        value = entry.get(key)
        return profile.get(key, fallback) if value is None else value

    audience_claim = pick("AUDIENCE_CLAIM", "aud")
    required = list(pick("REQUIRED_CLAIMS", []))
    if "iss" not in required:
        required.insert(0, "iss")
    if "exp" not in required:
        required.append("exp")
    if audience_claim not in required:
        required.append(audience_claim)
    return IssuerConfig(
        issuer=str(entry["ISSUER"]),
        audiences=frozenset(str(a) for a in _as_list(entry.get("AUDIENCE"))),
        algorithms=frozenset(str(a) for a in _as_list(entry.get("ALGORITHMS") or ["RS256"])),
        jwks_uri=entry.get("JWKS_URI") or None,
        profile=profile_name,
        aliases=frozenset(str(a) for a in _as_list(entry.get("ALIASES"))),
        leeway=float(entry.get("LEEWAY", 60) if entry.get("LEEWAY") is not None else 60),
        token_types=frozenset(normalise_typ(t) for t in _as_list(pick("TOKEN_TYPES", RFC9068_TYPES))),
        required_claims=tuple(dict.fromkeys(required)),
        audience_claim=audience_claim,
        claim_values=dict(pick("CLAIM_VALUES", {})),
        scope_claims=tuple(
            tuple(str(part) for part in name) if isinstance(name, (list, tuple)) else str(name)
            for name in _as_list(pick("SCOPE_CLAIMS", ["scope"]))
        ),
        user_id_claim=str(entry.get("USER_ID_CLAIM") or "sub"),
        introspection=entry.get("INTROSPECTION") or None,
        required_one_of=tuple(str(name) for name in _as_list(pick("REQUIRED_ONE_OF", []))),
        user_prefix=str(entry.get("USER_PREFIX") or ""),
    )



def issuer_configs(user: Mapping[str, Any] | None = None) -> list[IssuerConfig]:
    """The trusted issuers, in configuration order, tenant templates expanded."""
    user = jwks_settings.user_settings if user is None else user
    configs: list[IssuerConfig] = []
    for entry in _issuer_dicts(user):
        for item in _expand_tenants(entry):
            configs.append(build_issuer(item))
    return configs
