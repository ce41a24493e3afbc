"""System checks for JWKS_AUTH (``manage.py check``)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from jwks_auth.conf import DEFAULTS, issuer_configs
from jwks_auth.fetch import is_loopback
from jwks_auth.keys import ASYMMETRIC_ALGORITHMS

E001 = "jwks_auth.E001"  # no trusted issuer
E002 = "jwks_auth.E002"  # issuer without audience
E003 = "jwks_auth.E003"  # algorithm that is not an asymmetric signature algorithm
E004 = "jwks_auth.E004"  # CACHE_ALIAS not in CACHES
E005 = "jwks_auth.E005"  # settings that cannot be parsed (unknown key, bad profile)
W001 = "jwks_auth.W001"  # DummyCache holds the keys
W002 = "jwks_auth.W002"  # (deploy) plain-http issuer or key URL


def _user_settings() -> dict[str, Any]:
    return dict(getattr(settings, "JWKS_AUTH", None) or {})


@register(Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    user = _user_settings()
    errors: list[Any] = []
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        errors.append(Error(f"Unknown JWKS_AUTH setting(s): {', '.join(unknown)}.",
                            hint="Check the spelling against jwks_auth.conf.DEFAULTS.", id=E005))
    try:
        configs = issuer_configs(user)
    except (ValueError, TypeError, KeyError) as exc:
        return errors + [Error(f"JWKS_AUTH cannot be read: {exc}", hint="See the README's settings table.", id=E005)]
    if not configs:
        errors.append(Error("JWKS_AUTH names no trusted issuer.",
                            hint="Set JWKS_AUTH['ISSUER'] (OIDC_ISSUER) or JWKS_AUTH['ISSUERS'].", id=E001))
    for config in configs:
        if not config.audiences:
            errors.append(Error(f"Issuer {config.issuer} has no audience.",
                                hint="Set AUDIENCE (OIDC_AUDIENCE) to this API's identifier.", id=E002))
        unsafe = sorted(alg for alg in config.algorithms if alg not in ASYMMETRIC_ALGORITHMS)
        if unsafe:
            errors.append(Error(f"Issuer {config.issuer} allows {', '.join(unsafe)}.",
                                hint="Only RS*, PS*, ES* and EdDSA can be verified with a JWKS; "
                                     "'none' and HMAC never are.", id=E003))
    return errors


@register(Tags.caches)
def check_cache(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    alias = _user_settings().get("CACHE_ALIAS", DEFAULTS["CACHE_ALIAS"])
    caches = getattr(settings, "CACHES", {})
    if alias not in caches:
        return [Error(f"JWKS_AUTH['CACHE_ALIAS'] is {alias!r}, which is not in CACHES.",
                      hint=f"Add a {alias!r} entry to CACHES or change CACHE_ALIAS.", id=E004)]
    if caches[alias].get("BACKEND", "").endswith("DummyCache"):
        return [Warning(f"Cache {alias!r} is a DummyCache: signing keys are kept per process only.",
                        hint="Use Redis, Memcached or LocMem for the key cache.", id=W001)]
    return []


@register(Tags.security, deploy=True)
def check_https(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    try:
        configs = issuer_configs(_user_settings())
    except (ValueError, TypeError, KeyError):
        return []  # reported by check_settings
    warnings = []
    for config in configs:
        for url in filter(None, (config.issuer, config.jwks_uri)):
            scheme, _, rest = url.partition("://")
            host = rest.split("/", 1)[0].rsplit(":", 1)[0]
            if scheme != "https" and not is_loopback(host):
                warnings.append(Warning(f"{url} is not https.",
                                        hint="Fetch keys over https in production; ALLOW_INSECURE_HTTP is for development.",
                                        id=W002))
    return warnings
