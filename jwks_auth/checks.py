"""System checks for JWKS_AUTH (``manage.py check``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from jwks_auth.conf import schema as settings_schema
from jwks_auth.conf.security_profile import conflicts
from jwks_auth.conf.settings import DEFAULTS, IssuerConfig, import_setting, issuer_configs, issuer_entries
from jwks_auth.conf.table import normalise
from jwks_auth.exceptions import ConfigurationError
from jwks_auth.keys.http import is_loopback
from jwks_auth.keys.jwks import ASYMMETRIC_ALGORITHMS
from jwks_auth.validation.claims import rules_from_settings

E001 = "jwks_auth.E001"  # no trusted issuer
E002 = "jwks_auth.E002"  # issuer without audience
E003 = "jwks_auth.E003"  # algorithm that is not an asymmetric signature algorithm
E004 = "jwks_auth.E004"  # CACHE_ALIAS not in CACHES
E005 = settings_schema.E005  # settings that cannot be parsed (unknown key, bad profile)
E006 = settings_schema.E006  # a timing or size setting that is not a positive number
E007 = settings_schema.E007  # an ISSUERS entry with a key that is not a per-issuer setting
E008 = settings_schema.E008  # an INTROSPECTION dict that cannot work
E009 = settings_schema.E009  # a setting of the wrong type, or a dotted path that cannot be imported
E012 = "jwks_auth.E012"  # a setting that contradicts the issuer's SECURITY_PROFILE (fapi2)
W001 = "jwks_auth.W001"  # DummyCache holds the keys
W002 = "jwks_auth.W002"  # (deploy) plain-http issuer or key URL
W003 = "jwks_auth.W003"  # DRF's BrowsableAPIRenderer, which reflects a query-string token, renders HTML
W004 = "jwks_auth.W004"  # DPoP with a per-process (LocMem) or no (Dummy) cache: replays caught in one process, or none
W005 = "jwks_auth.W005"  # DPOP_NONCE with DPOP off: no proof can carry a nonce, so it is ignored
W006 = "jwks_auth.W006"  # an ISSUER or JWKS_URI keys cannot be fetched from: no scheme, or http:// off loopback

_IMPORTED = ("USER_RESOLVER", "IS_REVOKED", "CLAIM_RULES")


def _user_settings() -> dict[str, Any]:
    return dict(getattr(settings, "JWKS_AUTH", None) or {})


@register(Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    user = _user_settings()
    # One validation for checks and run time: settings_schema names every bad value.
    problems = settings_schema.problems(user, DEFAULTS)
    errors: list[Any] = [
        (Warning if p.id.startswith("jwks_auth.W") else Error)(f"{p.where} {p.message}", hint=p.hint, id=p.id)
        for p in problems
    ]
    if any(problem.fatal for problem in problems):
        return errors
    for name in _IMPORTED:
        try:
            import_setting(name)
        except ConfigurationError as exc:
            errors.append(Error(str(exc), hint="Give the dotted path of a callable, or the callable.", id=E009))
    if not any(isinstance(error, Error) for error in errors):
        try:
            rules_from_settings()
        except ConfigurationError as exc:
            errors.append(Error(str(exc), hint="Subclass jwks_auth.validation.claims.ClaimRules.", id=E009))
    try:
        configs = issuer_configs(user)
    except ConfigurationError as exc:
        return errors + [Error(f"JWKS_AUTH cannot be read: {exc}", hint="See the settings reference.", id=E005)]
    if not configs:
        errors.append(
            Error(
                "JWKS_AUTH names no trusted issuer.", hint="Set JWKS_AUTH['ISSUER'] or JWKS_AUTH['ISSUERS'].", id=E001
            )
        )
    for config in configs:
        errors += _check_issuer(config)
    return errors


def _check_issuer(config: IssuerConfig) -> list[Any]:
    errors: list[Any] = []
    if config.introspection:
        from jwks_auth.validation.introspection import introspection_settings

        try:
            introspection_settings(config)
        except ConfigurationError as exc:
            hint = "The INTROSPECTION keys are in the settings reference (jwks_auth.conf.table.INTROSPECTION_KEYS)."
            errors.append(Error(str(exc), hint=hint, id=E008))
    if not config.audiences:
        errors.append(
            Error(
                f"Issuer {config.issuer} has no audience.",
                hint="Set JWKS_AUTH['AUDIENCE'] to this API's identifier.",
                id=E002,
            )
        )
    unsafe = sorted(alg for alg in config.algorithms if alg not in ASYMMETRIC_ALGORITHMS)
    if unsafe:
        errors.append(
            Error(
                f"Issuer {config.issuer} allows {', '.join(unsafe)}.",
                hint="Only RS*, PS*, ES*, EdDSA and Ed25519 can be verified with a JWKS; 'none' and HMAC never are.",
                id=E003,
            )
        )
    return errors


@register(Tags.caches)
def check_cache(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    alias = _user_settings().get("CACHE_ALIAS", DEFAULTS["CACHE_ALIAS"])
    caches = getattr(settings, "CACHES", {})
    if alias not in caches:
        return [
            Error(
                f"JWKS_AUTH['CACHE_ALIAS'] is {alias!r}, which is not in CACHES.",
                hint=f"Add a {alias!r} entry to CACHES or change CACHE_ALIAS.",
                id=E004,
            )
        ]
    backend = str(caches[alias].get("BACKEND", ""))
    found = []
    if backend.endswith("DummyCache"):
        found.append(
            Warning(
                f"Cache {alias!r} is a DummyCache: signing keys are kept per process only.",
                hint="Use Redis, Memcached or LocMem for the key cache.",
                id=W001,
            )
        )
    return found + _check_replay_cache(alias, backend)


def _check_replay_cache(alias: str, backend: str) -> list[Any]:
    """DPoP proofs are remembered in the shared cache: in LocMem a proof replays on another process, in Dummy anywhere.

    Said for a DummyCache whenever an issuer accepts DPoP (the default); for a
    LocMemCache, fine with one process, only when ``DPOP`` is set to accept it.
    """
    per_process = backend.endswith("LocMemCache")
    if not (per_process or backend.endswith("DummyCache")):
        return []
    user = _user_settings()
    try:
        configs = issuer_configs(user)
        # The same issuers with every DPOP that is set turned off: those that change chose DPoP.
        masked = issuer_configs(_dpop_masked(user)) if per_process else configs
    except ConfigurationError:
        return []  # reported by check_settings
    enabled = [
        config.issuer
        for config, other in zip(configs, masked, strict=True)
        if config.dpop != "off" and (not per_process or other.dpop == "off")
    ]
    if not enabled:
        return []
    kind, covers = ("LocMemCache", "each worker process on its own") if per_process else ("DummyCache", "no request")
    return [
        Warning(
            f"DPoP is accepted for {', '.join(enabled)} but cache {alias!r} is a {kind}: "
            f"replay protection of DPoP proofs covers {covers}.",
            hint="Use a cache shared by every worker and host (Redis, Memcached) as JWKS_AUTH['CACHE_ALIAS'], "
            "or set JWKS_AUTH['DPOP'] to 'off'.",
            id=W004,
        )
    ]


def _dpop_masked(user: dict[str, Any]) -> dict[str, Any]:
    """``user`` with each ``DPOP`` set to accept DPoP (top level, ``ISSUERS`` entries) turned ``off``."""

    def masked(entry: dict[str, Any]) -> dict[str, Any]:
        return {**entry, "DPOP": "off"} if entry.get("DPOP") in ("allowed", "required") else entry

    result = dict(masked(user))
    issuers = user.get("ISSUERS")
    if isinstance(issuers, list):
        result["ISSUERS"] = [masked(entry) if isinstance(entry, dict) else entry for entry in issuers]
    return result


@register(Tags.security)
def check_security_profile(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Settings that contradict an issuer's ``SECURITY_PROFILE``: at run time the profile wins, so say so here."""
    user = normalise(_user_settings())
    try:
        issuer_configs(user)
        entries = issuer_entries(user)
    except ConfigurationError:
        return []  # reported by check_settings
    proxy = user.get("PROXY")
    header = proxy.get("CLIENT_CERT_HEADER") if isinstance(proxy, dict) else None
    dpop_algorithms = user.get("DPOP_ALGORITHMS", DEFAULTS["DPOP_ALGORITHMS"])
    return [
        Error(
            f"Issuer {entry.get('ISSUER')} has SECURITY_PROFILE {entry['SECURITY_PROFILE']!r}, but its "
            f"{conflict.setting} {conflict.message}",
            hint=conflict.hint,
            id=E012,
        )
        for entry in entries
        for conflict in conflicts(entry, dpop_algorithms=dpop_algorithms, client_cert_header=header)
    ]


@register(Tags.security)
def check_dpop_nonce(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """``DPOP_NONCE`` is ignored while ``DPOP`` is off (``IssuerConfig.asks_dpop_nonce``): say so, not silently."""
    try:
        configs = issuer_configs(_user_settings())
    except ConfigurationError:
        return []  # reported by check_settings
    return [
        Warning(
            f"Issuer {config.issuer} has DPOP_NONCE on but DPOP 'off': no DPoP proof is accepted, "
            "so no nonce is asked for.",
            hint="Set DPOP to 'allowed' or 'required' for this issuer, or drop DPOP_NONCE.",
            id=W005,
        )
        for config in configs
        if config.dpop_nonce and not config.asks_dpop_nonce
    ]


@register(Tags.security)
def check_key_urls(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """An ``ISSUER`` or ``JWKS_URI`` the key store will refuse to fetch from: every token would get 503."""
    user = _user_settings()
    try:
        configs = issuer_configs(user)
    except ConfigurationError:
        return []  # reported by check_settings
    allow_http = user.get("ALLOW_INSECURE_HTTP", DEFAULTS["ALLOW_INSECURE_HTTP"]) is True
    warnings = []
    for config in configs:
        named = [("ISSUER", config.issuer)] + ([("JWKS_URI", config.jwks_uri)] if config.jwks_uri else [])
        for name, url in named:
            problem = _key_url_problem(url, allow_http, fetched=name == "JWKS_URI" or not config.jwks_uri)
            if problem is not None:
                message, hint = problem
                warnings.append(Warning(f"JWKS_AUTH {name} {url!r} {message}", hint=hint, id=W006))
    return warnings


def _key_url_problem(url: str, allow_http: bool, *, fetched: bool) -> tuple[str, str] | None:
    """Why keys cannot come from ``url`` (``fetched``: the URL discovery or the keys are read from), and the fix."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return (
            "is not an https:// URL: tokens carry their issuer as a URL, and keys are fetched from "
            "<ISSUER>/.well-known/openid-configuration, so every token would be refused or answered 503.",
            "Write the exact iss of your tokens, scheme included, e.g. 'https://idp.example.com'.",
        )
    if fetched and parts.scheme == "http" and not is_loopback(host) and not allow_http:
        return (
            "is http:// off loopback: keys are never fetched from it (https is required), so every token gets 503.",
            "Use https, or set JWKS_AUTH['ALLOW_INSECURE_HTTP'] = True for development (e.g. Keycloak in a compose "
            "file).",
        )
    return None


@register(Tags.security, deploy=True)
def check_https(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    try:
        configs = issuer_configs(_user_settings())
    except ConfigurationError:
        return []  # reported by check_settings
    warnings = []
    for config in configs:
        for url in filter(None, (config.issuer, config.jwks_uri)):
            try:
                parts = urlsplit(url)
                host = parts.hostname
            except ValueError:
                host, parts = None, None
            if parts is None or parts.scheme != "https" and not is_loopback(host):
                warnings.append(
                    Warning(
                        f"{url} is not https.",
                        hint="Fetch keys over https in production; ALLOW_INSECURE_HTTP is for development.",
                        id=W002,
                    )
                )
    return warnings


@register(Tags.security)
def check_renderers(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """DRF's default renderers include its BrowsableAPIRenderer, which prints the request URL."""
    from rest_framework.renderers import BrowsableAPIRenderer
    from rest_framework.settings import api_settings

    from jwks_auth.renderers import TokenSafeBrowsableAPIRenderer

    try:
        renderers: list[Any] = list(api_settings.DEFAULT_RENDERER_CLASSES)
    except ImportError:
        return []  # DRF reports a renderer it cannot import on first use
    unsafe = [
        cls
        for cls in renderers
        if isinstance(cls, type)
        and issubclass(cls, BrowsableAPIRenderer)
        and not issubclass(cls, TokenSafeBrowsableAPIRenderer)
    ]
    return [
        Warning(
            f"REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'] uses {cls.__module__}.{cls.__qualname__}, which reflects "
            "an access_token sent in the query string into its HTML pages.",
            hint="Use jwks_auth.renderers.TokenSafeBrowsableAPIRenderer instead (or JSON only).",
            id=W003,
        )
        for cls in unsafe
    ]


def _transmitter_entries(user: dict[str, Any]) -> list[Any]:
    group = user.get("SHARED_SIGNALS")
    entries = group.get("TRANSMITTERS") if isinstance(group, dict) else None
    return entries if isinstance(entries, list) else []


def _shared_signals_cache(user: dict[str, Any], *, per_process: bool) -> list[Any]:
    """W004 for SHARED_SIGNALS: revocations live in the cache, so it must be one every worker reads."""
    if not _transmitter_entries(user):
        return []
    alias = user.get("CACHE_ALIAS") or DEFAULTS["CACHE_ALIAS"]
    cache = (getattr(settings, "CACHES", None) or {}).get(alias)
    backend = str(cache.get("BACKEND", "")) if isinstance(cache, dict) else ""
    kind = "LocMemCache" if per_process else "DummyCache"
    if not backend.endswith(kind):
        return []
    effect = (
        "a revocation reaches only the worker process that received it"
        if per_process
        else "every SET is answered 503 and no revocation is recorded"
    )
    return [
        Warning(
            f"JWKS_AUTH['SHARED_SIGNALS'] names transmitters but cache {alias!r} (JWKS_AUTH['CACHE_ALIAS']) "
            f"is a {kind}: {effect}.",
            hint="Use a cache shared by every worker and host (Redis, Memcached) as JWKS_AUTH['CACHE_ALIAS'].",
            id=W004,
        )
    ]


@register(Tags.security, Tags.caches)
def check_shared_signals(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """The Shared Signals receiver's needs: a cache that records anything, and an audience for each transmitter."""
    user = _user_settings()
    entries = _transmitter_entries(user)
    if not entries:
        return []
    try:
        configs = issuer_configs(user)
    except ConfigurationError:
        return []  # reported by check_settings
    found = _shared_signals_cache(user, per_process=False)
    issuer_audiences = any(config.audiences for config in configs)
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and not entry.get("AUDIENCE") and not issuer_audiences:
            found.append(
                Error(
                    f"JWKS_AUTH['SHARED_SIGNALS']['TRANSMITTERS'][{index}]['AUDIENCE'] is not set and no issuer has "
                    "an AUDIENCE: every SET would be refused (invalid_audience).",
                    hint="Set the audience the transmitter addresses its SETs to.",
                    id=E002,
                )
            )
    return found


@register(Tags.security, Tags.caches, deploy=True)
def check_shared_signals_deploy(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """A per-process cache is fine for one runserver process, not for a deployment's several workers."""
    user = _user_settings()
    try:
        issuer_configs(user)
    except ConfigurationError:
        return []
    return _shared_signals_cache(user, per_process=True)
