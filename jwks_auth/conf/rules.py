"""The type rules of ``JWKS_AUTH`` values, and the system-check ids their failures are reported under.

A rule answers ``None`` for a good value, else what the value should be ("a
list of strings"); ``jwks_auth.conf.table`` gives each setting its rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jwks_auth.conf.profiles import PROFILES
from jwks_auth.utils.algorithms import ASYMMETRIC_ALGORITHMS
from jwks_auth.utils.json_numbers import is_finite_number

E005 = "jwks_auth.E005"  # settings that cannot be parsed (unknown key, bad profile)
E006 = "jwks_auth.E006"  # a timing or size setting that is not a positive number
E007 = "jwks_auth.E007"  # an ISSUERS entry with a key that is not a per-issuer setting
E008 = "jwks_auth.E008"  # an INTROSPECTION dict that cannot work
E009 = "jwks_auth.E009"  # a setting of the wrong type
W010 = "jwks_auth.W010"  # a setting spelt the pre-1.0 way (renamed, grouped or now a class attribute)

#: A rule answers ``None`` for a good value, else what the value should be.
Rule = Callable[[Any], "str | None"]


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


def introspection_auth_method(value: Any) -> str | None:
    """How the resource server authenticates to the introspection endpoint (RFC 7662 2.1)."""
    ok = value in ("client_secret_basic", "client_secret_post", "none")
    return None if ok else "client_secret_basic, client_secret_post or none"


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
SECURITY_PROFILES = ("fapi2",)
CLIENT_CERT_FORMATS = ("escaped-pem", "xfcc", "rfc9440", "base64-der")


def dpop_policy(value: Any) -> str | None:
    return None if isinstance(value, str) and value in DPOP_POLICIES else f"one of {', '.join(DPOP_POLICIES)}"


def security_profile(value: Any) -> str | None:
    ok = isinstance(value, str) and value in SECURITY_PROFILES
    return None if ok else f"one of {', '.join(SECURITY_PROFILES)}"


def actors(value: Any) -> str | None:
    """RFC 8693 actors: each a non-empty ``sub``, or a dict of a string ``sub`` and optionally a string ``iss``."""

    def one(item: Any) -> bool:
        if isinstance(item, str):
            return bool(item)
        if not isinstance(item, dict) or not set(item) <= {"iss", "sub"}:
            return False
        return all(isinstance(item.get(name), str) and item[name] for name in item) and "sub" in item

    ok = _is_list(value) and all(one(item) for item in value)
    return None if ok else "a list of actors: 'sub' strings or {'iss': ..., 'sub': ...} dicts"


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


def issuers(value: Any) -> str | None:
    ok = _is_list(value) and all(isinstance(entry, dict) or (isinstance(entry, str) and entry) for entry in value)
    return None if ok else "a list of dicts of per-issuer settings (or issuer strings)"


#: The keys of a ``SHARED_SIGNALS["TRANSMITTERS"]`` entry (``jwks_auth.ssf.settings.Transmitter``).
TRANSMITTER_KEYS = (
    "ISSUER",
    "AUDIENCE",
    "CONFIGURATION_URL",
    "JWKS_URI",
    "ALGORITHMS",
    "TOKEN_ISSUERS",
    "POLL_URL",
    "POLL_AUTHORIZATION",
    "PUSH_AUTHORIZATION",
)


#: The keys of a transmitter entry that are URLs (``ISSUER`` too: the configuration URL is made from it).
TRANSMITTER_URL_KEYS = ("ISSUER", "CONFIGURATION_URL", "JWKS_URI", "POLL_URL")


def _is_url(value: Any) -> bool:
    """A string that parses as a URL, host and port included (whether it may be fetched is ``check_url``'s
    to say, at run time and in ``jwks_auth.W006``)."""
    from urllib.parse import urlsplit

    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
        parts.hostname  # noqa: B018
    except ValueError:  # "https://[bad", "https://host:port"
        return False
    return True


def transmitters(value: Any) -> str | None:
    """A list of dicts, each with an ``ISSUER`` URL and only the known keys, each of its type."""
    expected = (
        f"a list of dicts with an ISSUER and keys among {', '.join(TRANSMITTER_KEYS)} "
        f"({', '.join(TRANSMITTER_URL_KEYS)}: URLs)"
    )
    if not _is_list(value):
        return expected
    for entry in value:
        if not (
            isinstance(entry, dict) and set(entry) <= set(TRANSMITTER_KEYS) and isinstance(entry.get("ISSUER"), str)
        ):
            return expected
        for key in ("CONFIGURATION_URL", "JWKS_URI", "POLL_URL", "POLL_AUTHORIZATION", "PUSH_AUTHORIZATION"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                return expected
        for key in TRANSMITTER_URL_KEYS:
            if entry.get(key) and not _is_url(entry[key]):
                return expected
        for key in ("AUDIENCE", "TOKEN_ISSUERS"):
            if key in entry and string_or_strings(entry[key]) is not None:
                return expected
        if "ALGORITHMS" in entry and (
            strings(entry["ALGORITHMS"]) is not None
            or not all(alg in ASYMMETRIC_ALGORITHMS for alg in entry["ALGORITHMS"])
        ):
            return expected
    return None
