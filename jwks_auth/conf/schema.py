"""The expected type of every ``JWKS_AUTH`` setting, and the one validation of them.

``problems(user)`` lists every bad value with the system-check id it is
reported under; ``manage.py check`` shows them all, and the code that builds
issuers and the validator raises the first as one ``ConfigurationError``, which
``JWKSAuthentication`` answers with 503 and a log line. Messages name the
setting and the type found, never the value: a setting may hold a secret.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jwks_auth.conf.profiles import PROFILES
from jwks_auth.exceptions import ConfigurationError
from jwks_auth.utils.json_numbers import is_finite_number

E005 = "jwks_auth.E005"  # settings that cannot be parsed (unknown key, bad profile)
E006 = "jwks_auth.E006"  # a timing or size setting that is not a positive number
E007 = "jwks_auth.E007"  # an ISSUERS entry with a key that is not a per-issuer setting
E008 = "jwks_auth.E008"  # an INTROSPECTION dict that cannot work
E009 = "jwks_auth.E009"  # a setting of the wrong type

#: A rule answers ``None`` for a good value, else what the value should be.
Rule = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is, what is wrong, and how to fix it."""

    where: str
    message: str
    hint: str
    id: str
    #: Unknown names are only reported: at run time they are ignored, as Django ignores unknown settings.
    fatal: bool = True

    def error(self) -> ConfigurationError:
        return ConfigurationError(f"{self.where} {self.message}")


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def optional(rule: Rule) -> Rule:
    def check(value: Any) -> str | None:
        found = None if value is None else rule(value)
        return None if found is None else f"{found} or None"

    return check


def string(value: Any) -> str | None:
    return None if isinstance(value, str) else "a string"


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "True or False"


def strings(value: Any) -> str | None:
    """A list of strings; a bare string would be read one character at a time elsewhere."""
    return None if _is_list(value) and all(isinstance(v, str) for v in value) else "a list of strings"


def string_or_strings(value: Any) -> str | None:
    return None if isinstance(value, str) or strings(value) is None else "a string or a list of strings"


def token_types(value: Any) -> str | None:
    ok = _is_list(value) and all(v is None or isinstance(v, str) for v in value)
    return None if ok else "a list of strings (None for no typ)"


def claim_paths(value: Any) -> str | None:
    def path(item: Any) -> bool:
        return isinstance(item, str) or (_is_list(item) and bool(item) and all(isinstance(p, str) for p in item))

    ok = _is_list(value) and all(path(item) for item in value)
    return None if ok else "a list of claim names or claim paths (lists of names)"


def mapping(value: Any) -> str | None:
    ok = isinstance(value, Mapping) and all(isinstance(k, str) for k in value)
    return None if ok else "a dict with string keys"


def string_mapping(value: Any) -> str | None:
    ok = mapping(value) is None and all(isinstance(v, str) for v in value.values())
    return None if ok else "a dict of strings"


def number(value: Any) -> str | None:
    """A finite, non-negative int or float (zero: see ``POSITIVE``)."""
    return None if is_finite_number(value) and value >= 0 else "a non-negative number"


def callable_or_path(value: Any) -> str | None:
    return None if isinstance(value, str) or callable(value) else "a dotted path or a callable"


def profile(value: Any) -> str | None:
    return None if isinstance(value, str) and value in PROFILES else f"one of {', '.join(sorted(PROFILES))}"


def timeout(value: Any) -> str | None:
    parts = list(value) if _is_list(value) else [value]
    ok = len(parts) in (1, 2) and all(is_finite_number(p) and p > 0 for p in parts)
    return None if ok else "seconds, or (connect, read) seconds"


def verify(value: Any) -> str | None:
    return None if isinstance(value, (bool, str)) else "True, False or a CA bundle path"


DPOP_POLICIES = ("off", "allowed", "required")
CLIENT_CERT_FORMATS = ("escaped-pem", "xfcc", "rfc9440", "base64-der")


def dpop_policy(value: Any) -> str | None:
    return None if isinstance(value, str) and value in DPOP_POLICIES else f"one of {', '.join(DPOP_POLICIES)}"


def client_cert_format(value: Any) -> str | None:
    ok = isinstance(value, str) and value in CLIENT_CERT_FORMATS
    return None if ok else f"one of {', '.join(CLIENT_CERT_FORMATS)}"


FORWARDED_HEADER_NAMES = ("Forwarded", "X-Forwarded-Proto", "X-Forwarded-Host")


def forwarded_headers(value: Any) -> str | None:
    """Names from ``FORWARDED_HEADER_NAMES``; ``Forwarded`` alone (it carries both the scheme and the host)."""
    expected = '["Forwarded"], or a list of "X-Forwarded-Proto" and "X-Forwarded-Host"'
    if strings(value) is not None:
        return expected
    names = {str(name).lower() for name in value}
    known = {name.lower() for name in FORWARDED_HEADER_NAMES}
    ok = names <= known and ("forwarded" not in names or names == {"forwarded"})
    return None if ok else expected


def proof_algorithms(value: Any) -> str | None:
    """A non-empty list of asymmetric JWS algorithms (a proof is never HMAC or none)."""
    from jwks_auth.utils.algorithms import ASYMMETRIC_ALGORITHMS

    ok = strings(value) is None and bool(value) and all(v in ASYMMETRIC_ALGORITHMS for v in value)
    return None if ok else "a non-empty list of asymmetric JWS algorithms"


def networks(value: Any) -> str | None:
    """IP addresses or CIDR networks."""
    import ipaddress

    if strings(value) is not None:
        return "a list of IP addresses or networks"
    try:
        for item in value:
            ipaddress.ip_network(item, strict=False)
    except ValueError:
        return "a list of IP addresses or networks"
    return None


def origins(value: Any) -> str | None:
    """Absolute http(s) URLs without query or fragment (a path prefix is allowed)."""
    from urllib.parse import urlsplit

    def one(item: Any) -> bool:
        if not isinstance(item, str):
            return False
        parts = urlsplit(item)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment

    return None if _is_list(value) and all(one(item) for item in value) else "a list of http(s) origins"


def url_paths(value: Any) -> str | None:
    """URL paths as Django sees them (``request.path_info``): each starts with ``/``."""
    ok = _is_list(value) and all(isinstance(item, str) and item.startswith("/") for item in value)
    return None if ok else "a list of paths starting with /"


#: The per-issuer settings, valid at the top level and in each ISSUERS entry.
PER_ISSUER_RULES: dict[str, Rule] = {
    "ISSUER": optional(string),
    "AUDIENCE": string_or_strings,
    "JWKS_URI": optional(string),
    "PROFILE": optional(profile),
    "ALGORITHMS": strings,
    "LEEWAY": number,
    "TOKEN_TYPES": optional(token_types),
    "REQUIRED_CLAIMS": optional(strings),
    "AUDIENCE_CLAIM": optional(string),
    "CLAIM_VALUES": optional(mapping),
    "SCOPE_CLAIMS": optional(claim_paths),
    "REQUIRED_ONE_OF": optional(strings),
    "USER_ID_CLAIM": string,
    "USER_PREFIX": string,
    "ALIASES": string_or_strings,
    "TENANTS": string_or_strings,
    "INTROSPECTION": optional(mapping),  # its keys: jwks_auth.validation.introspection (E008)
    "DPOP": optional(dpop_policy),
    "DPOP_NONCE": boolean,
}


def issuers(value: Any) -> str | None:
    ok = _is_list(value) and all(isinstance(entry, dict) or (isinstance(entry, str) and entry) for entry in value)
    return None if ok else "a list of dicts of per-issuer settings (or issuer strings)"


RULES: dict[str, Rule] = {
    **PER_ISSUER_RULES,
    "ISSUERS": issuers,
    "CACHE_ALIAS": string,
    "CACHE_KEY_PREFIX": string,
    "HTTP_TIMEOUT": timeout,
    "HTTP_VERIFY": verify,
    "HTTP_PROXIES": optional(string_mapping),
    "USER_AGENT": string,
    "MAX_RESPONSE_BYTES": number,
    "ALLOW_INSECURE_HTTP": boolean,
    "JWKS_DEFAULT_TTL": number,
    "JWKS_MIN_TTL": number,
    "JWKS_MAX_TTL": number,
    "JWKS_STALE_TTL": number,
    "JWKS_REFRESH_AHEAD": number,
    "JWKS_RETRY_INTERVAL": number,
    "DISCOVERY_TTL": number,
    "LOCAL_TTL": number,
    "UNKNOWN_KID_COOLDOWN": number,
    "MAX_TOKEN_LENGTH": number,
    "TOKEN_CACHE_SIZE": number,
    "IS_REVOKED": optional(callable_or_path),
    "CLAIM_RULES": callable_or_path,
    "REALM": string,
    "USER_RESOLVER": callable_or_path,
    "USER_CREATE": boolean,
    "USER_LOOKUP_FIELD": optional(string),
    "USER_CLAIM_FIELDS": string_mapping,
    "RESOURCE": optional(string),
    "RESOURCE_SCOPES": strings,
    "RESOURCE_DOCUMENTATION": optional(string),
    "METRICS": boolean,
    "READINESS_TIMEOUT": number,
    "DPOP_ALGORITHMS": proof_algorithms,
    "DPOP_IAT_MAX_AGE": number,
    "DPOP_IAT_MAX_AHEAD": number,
    "DPOP_JTI_MAX_LENGTH": number,
    "DPOP_MAX_PROOF_LENGTH": number,
    "DPOP_NONCE_STEP": number,
    "PUBLIC_ORIGINS": origins,
    "TRUSTED_PROXIES": networks,
    "FORWARDED_HEADERS": forwarded_headers,
    "CLIENT_CERT_HEADER": optional(string),
    "CLIENT_CERT_FORMAT": client_cert_format,
    "MIDDLEWARE_EXEMPT_PATHS": url_paths,
}

#: Timings and sizes that should be above zero. Zero is reported (E006) but not fatal: the code
#: works with it (no pause, no cache), and tests use it to switch a pause off.
POSITIVE = (
    "MAX_RESPONSE_BYTES",
    "JWKS_DEFAULT_TTL",
    "JWKS_MIN_TTL",
    "JWKS_MAX_TTL",
    "JWKS_STALE_TTL",
    "JWKS_RETRY_INTERVAL",
    "DISCOVERY_TTL",
    "UNKNOWN_KID_COOLDOWN",
    "MAX_TOKEN_LENGTH",
    "DPOP_IAT_MAX_AGE",
    "DPOP_JTI_MAX_LENGTH",
    "DPOP_MAX_PROOF_LENGTH",
    "DPOP_NONCE_STEP",
)

#: Settings whose bad values keep their older check id: timings and sizes (E006), the profile (E005),
#: introspection (E008).
_IDS = dict.fromkeys(
    (
        "HTTP_TIMEOUT",
        "MAX_RESPONSE_BYTES",
        "JWKS_DEFAULT_TTL",
        "JWKS_MIN_TTL",
        "JWKS_MAX_TTL",
        "JWKS_STALE_TTL",
        "JWKS_REFRESH_AHEAD",
        "JWKS_RETRY_INTERVAL",
        "DISCOVERY_TTL",
        "LOCAL_TTL",
        "UNKNOWN_KID_COOLDOWN",
        "MAX_TOKEN_LENGTH",
        "TOKEN_CACHE_SIZE",
        "LEEWAY",
        "READINESS_TIMEOUT",
        "DPOP_IAT_MAX_AGE",
        "DPOP_IAT_MAX_AHEAD",
        "DPOP_JTI_MAX_LENGTH",
        "DPOP_MAX_PROOF_LENGTH",
        "DPOP_NONCE_STEP",
    ),
    E006,
) | {"PROFILE": E005, "INTROSPECTION": E008}
_HINT = "See the settings table in the README and jwks_auth.conf.settings.DEFAULTS."


def _value_problems(where: str, values: Mapping[str, Any], rules: Mapping[str, Rule]) -> list[Problem]:
    found = []
    for name, value in values.items():
        rule = rules.get(name)
        expected = None if rule is None else rule(value)
        if expected is not None:
            found.append(
                Problem(
                    f"{where}['{name}']",
                    f"must be {expected}, not {type(value).__name__}.",
                    _HINT,
                    _IDS.get(name, E009),
                )
            )
    return found


def _entry_problems(index: int, entry: dict[str, Any]) -> list[Problem]:
    where = f"JWKS_AUTH['ISSUERS'][{index}]"
    extra = sorted(str(key) for key in entry if key not in PER_ISSUER_RULES)
    found = []
    if extra:
        found.append(
            Problem(
                where,
                f"has unknown key(s): {', '.join(extra)}.",
                f"Per-issuer keys are {', '.join(PER_ISSUER_RULES)}.",
                E007,
                fatal=False,
            )
        )
    if not isinstance(entry.get("ISSUER"), str) or not entry["ISSUER"]:
        found.append(Problem(where, "has no ISSUER.", "Give each ISSUERS entry the exact iss of its tokens.", E009))
    return found + _value_problems(where, {k: v for k, v in entry.items() if k in PER_ISSUER_RULES}, PER_ISSUER_RULES)


def problems(user: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> list[Problem]:
    """Every bad value in the ``JWKS_AUTH`` dict ``user`` (over ``defaults``); empty when all is well."""
    unknown = sorted(str(name) for name in user if name not in RULES)
    found = []
    if unknown:
        found.append(
            Problem(
                "JWKS_AUTH",
                f"has unknown setting(s): {', '.join(unknown)}.",
                "Check the spelling against jwks_auth.conf.settings.DEFAULTS.",
                E005,
                fatal=False,
            )
        )
    found += _value_problems("JWKS_AUTH", {k: v for k, v in user.items() if k in RULES}, RULES)
    for name in POSITIVE:
        if user.get(name) == 0 and is_finite_number(user[name]):
            found.append(Problem(f"JWKS_AUTH['{name}']", "is 0, not a positive number.", _HINT, E006, fatal=False))
    merged = {**(defaults or {}), **user}
    low, high = merged.get("JWKS_MIN_TTL"), merged.get("JWKS_MAX_TTL")
    if is_finite_number(low) and is_finite_number(high) and low > high:
        found.append(
            Problem(
                "JWKS_AUTH['JWKS_MIN_TTL']", f"({low:g}) is above JWKS_MAX_TTL ({high:g}).", _HINT, E006, fatal=False
            )
        )
    entries = user.get("ISSUERS")
    if isinstance(entries, (list, tuple)):
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                found += _entry_problems(index, entry)
    return found


def validate(user: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> None:
    """Raise ``ConfigurationError`` for the first bad value of ``user``."""
    found = [problem for problem in problems(user, defaults) if problem.fatal]
    if found:
        raise found[0].error()
