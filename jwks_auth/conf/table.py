"""Every ``JWKS_AUTH`` setting, declared once: name, default, type rule, scope, check id and one line of docs.

The defaults (``jwks_auth.conf.settings.DEFAULTS``), the validation behind
``manage.py check`` and ``ConfigurationError`` (``jwks_auth.conf.schema``),
the per-issuer fields of ``IssuerConfig`` and the settings reference of the
documentation are all read from ``SETTINGS``. A grouped setting (``HTTP``,
``KEY_STORE``) is a dict whose keys are declared the same way; a user sets
only the keys to change.

``LEGACY`` lists the spellings from before 1.0: grouped settings' old flat
names and settings that became class attributes. They keep working until
1.1, each with a ``jwks_auth.W010`` warning naming the new spelling
(``normalise`` folds the grouped ones into their group).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any

from jwks_auth import __version__
from jwks_auth.conf import rules
from jwks_auth.conf.rules import E005, E006, E008, E009, Rule


@dataclass(frozen=True)
class Setting:
    """One setting: what a user writes, what it defaults to, and how it is checked."""

    name: str
    default: Any
    rule: Rule
    doc: str
    _: KW_ONLY
    #: ``issuer``: valid at the top level (a default for every issuer) and in each ``ISSUERS`` entry.
    scope: str = "global"
    #: The check id a bad value is reported under.
    check_id: str = E009
    #: Zero is reported (E006, not fatal): the code works with it (no pause, no cache), but it is rarely meant.
    positive: bool = False
    #: A grouped setting's keys.
    keys: tuple[Setting, ...] = ()
    #: May hold a secret (a client secret, credentials in a proxy URL): a message never repeats its value.
    secret: bool = False

    @property
    def expects(self) -> str:
        """What a value must be, in words (the rule's answer for a value that fits no rule)."""
        return self.rule(_NOTHING) or "any value"

    def group_defaults(self) -> dict[str, Any]:
        return {key.name: key.default for key in self.keys}


_NOTHING = object()


def _issuer(name: str, default: Any, rule: Rule, doc: str, **options: Any) -> Setting:
    return Setting(name, default, rule, doc, scope="issuer", **options)


def _group_rule(name: str, keys: tuple[Setting, ...]) -> Rule:
    def check(value: Any) -> str | None:
        known = {key.name for key in keys}
        return None if isinstance(value, dict) and set(value) <= known else f"a dict with keys among {sorted(known)}"

    return check


def _introspection(name: str, default: Any, rule: Rule, doc: str, **options: Any) -> Setting:
    return Setting(name, default, rule, doc, check_id=E008, **options)


def _group(name: str, doc: str, keys: tuple[Setting, ...]) -> Setting:
    return Setting(name, {key.name: key.default for key in keys}, _group_rule(name, keys), doc, keys=keys)


HTTP_KEYS = (
    Setting(
        "TIMEOUT",
        (2.0, 4.0),
        rules.timeout,
        "connect and read timeouts of discovery and JWKS fetches; the name lookup waits no longer than the "
        "connect timeout, and their sum is the hard deadline of a whole fetch",
        check_id=E006,
    ),
    Setting("VERIFY", True, rules.verify, "TLS verification: True, or the path of a CA bundle"),
    Setting(
        "PROXIES", None, rules.optional(rules.string_mapping), "requests' proxies mapping for the fetches", secret=True
    ),
    Setting("USER_AGENT", f"django-jwks-auth/{__version__} (+django)", rules.string, "User-Agent of the fetches"),
    Setting(
        "MAX_RESPONSE_BYTES",
        512 * 1024,
        rules.number,
        "larger discovery or JWKS documents are refused",
        check_id=E006,
        positive=True,
    ),
)

KEY_STORE_KEYS = (
    Setting(
        "DEFAULT_TTL",
        600,
        rules.number,
        "soft lifetime of a key set without Cache-Control",
        check_id=E006,
        positive=True,
    ),
    Setting(
        "MIN_TTL", 60, rules.number, "the provider's max-age is raised to at least this", check_id=E006, positive=True
    ),
    Setting("MAX_TTL", 86400, rules.number, "and lowered to at most this", check_id=E006, positive=True),
    Setting(
        "STALE_TTL",
        86400,
        rules.number,
        "hard limit: the last good set is served this long while the provider is down",
        check_id=E006,
        positive=True,
    ),
    Setting(
        "REFRESH_AHEAD", 30, rules.number, "a background refresh starts this long before the soft expiry", check_id=E006
    ),
    Setting(
        "RETRY_INTERVAL",
        5,
        rules.number,
        "pause after a failed fetch, shared by all workers",
        check_id=E006,
        positive=True,
    ),
    Setting(
        "DISCOVERY_TTL", 86400, rules.number, "how long the discovery document is kept", check_id=E006, positive=True
    ),
    Setting(
        "LOCAL_TTL",
        30,
        rules.number,
        "how long a process uses its own parsed copy before looking at the cache",
        check_id=E006,
    ),
    Setting(
        "UNKNOWN_KID_COOLDOWN",
        30,
        rules.number,
        "after a refetch for an unknown kid, no other refetch for this long (shared by all workers)",
        check_id=E006,
        positive=True,
    ),
)

#: Per issuer; the group's own default is None (no introspection), an issuer that sets it gets these for the rest.
INTROSPECTION_KEYS = (
    _introspection("ENDPOINT", None, rules.optional(rules.string), "the RFC 7662 endpoint URL (required)"),
    _introspection(
        "CLIENT_ID",
        None,
        rules.optional(rules.string),
        "this API's client id at the endpoint (required unless AUTH_METHOD is none; the aud of signed answers)",
    ),
    _introspection("CLIENT_SECRET", None, rules.optional(rules.string), "this API's client secret", secret=True),
    _introspection(
        "AUTH_METHOD",
        "client_secret_basic",
        rules.introspection_auth_method,
        "client_secret_basic, client_secret_post or none",
    ),
    _introspection(
        "TOKEN_TYPE_HINT", "access_token", rules.optional(rules.string), "the token_type_hint sent (None: none)"
    ),
    _introspection("CACHE", True, rules.boolean, "cache answers (False: ask on every request)"),
    _introspection("CACHE_TTL", 60, rules.number, "seconds an answer is cached, never past the token's exp"),
    _introspection(
        "JWT_RESPONSE", False, rules.boolean, "ask for and require RFC 9701 signed answers (docs/signed-introspection)"
    ),
)

RESOURCE_METADATA_KEYS = (
    Setting("SCOPES", [], rules.strings, "scopes advertised in the metadata and the OpenAPI oauth2 scheme"),
    Setting("DOCUMENTATION", None, rules.optional(rules.string), "the resource_documentation URL"),
    Setting(
        "AUTHORIZATION_DETAILS_TYPES",
        [],
        rules.strings,
        "RFC 9396 authorization details types this API understands (authorization_details_types_supported)",
    ),
)

PROXY_KEYS = (
    Setting(
        "ADDRESSES",
        [],
        rules.networks,
        "proxy addresses or CIDRs whose forwarded and client-certificate headers are believed",
    ),
    Setting(
        "FORWARDED_HEADERS",
        ["X-Forwarded-Proto", "X-Forwarded-Host"],
        rules.forwarded_headers,
        "the forwarded headers the trusted proxies set (and replace): only these are believed, for htu",
    ),
    Setting(
        "PUBLIC_ORIGINS",
        [],
        rules.origins,
        "the origins (optional path prefix) clients use, for a proof's htu; when set, no header is read for it",
    ),
    Setting(
        "CLIENT_CERT_HEADER",
        None,
        rules.optional(rules.string),
        "the header a TLS-terminating proxy puts the client certificate in",
    ),
    Setting(
        "CLIENT_CERT_FORMAT",
        "escaped-pem",
        rules.client_cert_format,
        "escaped-pem (nginx), xfcc (Envoy), rfc9440, base64-der",
    ),
)

SHARED_SIGNALS_KEYS = (
    Setting(
        "TRANSMITTERS",
        [],
        rules.transmitters,
        "Shared Signals transmitters whose events are received, each a dict (ISSUER, AUDIENCE, ...; "
        "jwks_auth.ssf.settings); none: no receiver and no check",
        secret=True,
    ),
    Setting(
        "STATE_TTL",
        3660,
        rules.number,
        "how long an event's effect is kept: the longest access-token lifetime plus leeway",
        check_id=E006,
        positive=True,
    ),
    Setting(
        "EPOCH_INTERVAL",
        0.25,
        rules.number,
        "each process looks for new events at most this often (the fleet-wide delay of a revocation)",
        check_id=E006,
        positive=True,
    ),
    Setting(
        "LOCAL_SUBJECTS",
        65536,
        rules.number,
        "subjects whose state a process remembers (the longest known first out)",
        check_id=E006,
        positive=True,
    ),
    Setting(
        "MAX_EVENTS_PER_MINUTE",
        6000,
        rules.number,
        "events accepted per minute across the fleet; more are answered 429 (a flood cannot fill the cache)",
        check_id=E006,
        positive=True,
    ),
    Setting(
        "POLL_MAX_EVENTS",
        100,
        rules.number,
        "events asked for per RFC 8936 poll request",
        check_id=E006,
        positive=True,
    ),
    Setting(
        "POLL_MAX_REQUESTS",
        10,
        rules.number,
        "poll requests per transmitter in one poll run (each with HTTP['TIMEOUT'])",
        check_id=E006,
        positive=True,
    ),
)

SETTINGS: tuple[Setting, ...] = (
    # -- per issuer ----------------------------------------------------------------------------------------------
    _issuer("ISSUER", None, rules.optional(rules.string), "the exact iss of the tokens; discovery is read below it"),
    _issuer("AUDIENCE", [], rules.string_or_strings, "this API's identifier(s): a token's aud must contain one"),
    _issuer(
        "ALGORITHMS",
        ["RS256"],
        rules.strings,
        "allowed signature algorithms: RS*, PS*, ES*, EdDSA/Ed25519 only (never none or HMAC)",
    ),
    _issuer("JWKS_URI", None, rules.optional(rules.string), "the key URL, when not the discovery document's"),
    _issuer(
        "PROFILE",
        "rfc9068",
        rules.optional(rules.profile),
        "the provider's token shape: the defaults of the five settings marked 'profile'",
        check_id=E005,
    ),
    _issuer("ALIASES", [], rules.string_or_strings, "other iss values of the same issuer (same keys)"),
    _issuer("LEEWAY", 60.0, rules.number, "seconds of clock skew for exp, nbf and iat", check_id=E006),
    _issuer(
        "TOKEN_TYPES",
        None,
        rules.optional(rules.token_types),
        "profile: accepted typ headers (None in the list: no typ)",
    ),
    _issuer("REQUIRED_CLAIMS", None, rules.optional(rules.strings), "profile: claims every token must carry"),
    _issuer("AUDIENCE_CLAIM", None, rules.optional(rules.string), "profile: the claim holding the audience"),
    _issuer("CLAIM_VALUES", None, rules.optional(rules.mapping), "profile: claims that must have exactly this value"),
    _issuer(
        "SCOPE_CLAIMS",
        None,
        rules.optional(rules.claim_paths),
        "profile: the claims scopes are read from (a path as a list for a nested claim)",
    ),
    _issuer(
        "REQUIRED_ONE_OF", None, rules.optional(rules.strings), "profile: at least one of these claims is required"
    ),
    _issuer("USER_ID_CLAIM", "sub", rules.string, "the claim that names the user"),
    _issuer("USER_PREFIX", "", rules.string, "prefixed to the user id (several issuers, one user table)"),
    _issuer("TENANTS", [], rules.string_or_strings, "for an ISSUER template with {tenant}: the tenants accepted"),
    _issuer(
        "INTROSPECTION",
        None,
        rules.optional(_group_rule("INTROSPECTION", INTROSPECTION_KEYS)),
        "RFC 7662 introspection of opaque tokens (None: none); a dict of the keys below",
        check_id=E008,
        secret=True,
        keys=INTROSPECTION_KEYS,
    ),
    _issuer(
        "DPOP",
        "allowed",
        rules.optional(rules.dpop_policy),
        "sender-constrained tokens: off, allowed or required",
    ),
    _issuer("DPOP_NONCE", False, rules.boolean, "ask DPoP clients for a server nonce (RFC 9449 8)"),
    _issuer(
        "SECURITY_PROFILE",
        None,
        rules.optional(rules.security_profile),
        "fapi2: the FAPI 2.0 resource-server rules (sender-constrained tokens, PS256/ES256/EdDSA, 10 s leeway)",
        check_id=E005,
    ),
    _issuer(
        "ACCEPTED_ACTORS",
        None,
        rules.optional(rules.actors),
        "RFC 8693: the actors (a sub, or {'iss': ..., 'sub': ...}) a token's outermost act may name; None: any",
    ),
    # -- global --------------------------------------------------------------------------------------------------
    Setting("ISSUERS", [], rules.issuers, "several issuers, each a dict of the per-issuer settings (or an iss)"),
    Setting("CACHE_ALIAS", "default", rules.string, "the Django cache shared by every worker: keys, replay store"),
    Setting("CACHE_KEY_PREFIX", "jwks_auth", rules.string, "prefix of every key jwks_auth writes in that cache"),
    _group("HTTP", "how discovery and JWKS documents are fetched", HTTP_KEYS),
    Setting("ALLOW_INSECURE_HTTP", False, rules.boolean, "allow http:// key URLs off loopback (development only)"),
    _group("KEY_STORE", "the key store's timings (seconds)", KEY_STORE_KEYS),
    Setting(
        "TOKEN_CACHE_SIZE",
        4096,
        rules.number,
        "verified tokens remembered per process (0 disables)",
        check_id=E006,
    ),
    Setting(
        "IS_REVOKED",
        None,
        rules.optional(rules.callable_or_path),
        "dotted path of callable(claims) -> bool, e.g. a jti deny list",
    ),
    Setting(
        "CLAIM_RULES",
        "jwks_auth.validation.claims.ClaimRules",
        rules.callable_or_path,
        "a ClaimRules subclass that overrides validate_<claim> or adds validate_extra",
    ),
    Setting("REALM", "api", rules.string, "the realm of WWW-Authenticate challenges"),
    Setting(
        "USER_RESOLVER",
        "jwks_auth.users.token_user",
        rules.callable_or_path,
        "callable(AccessToken) -> user, or a DjangoUserResolver subclass (jwks_auth.users)",
    ),
    Setting("RESOURCE", None, rules.optional(rules.string), "this API's RFC 9728 resource identifier"),
    _group("RESOURCE_METADATA", "what the RFC 9728 metadata document says beyond the resource", RESOURCE_METADATA_KEYS),
    Setting("METRICS", True, rules.boolean, "record Prometheus metrics when prometheus-client is installed"),
    Setting(
        "DPOP_ALGORITHMS",
        ["ES256", "PS256", "EdDSA", "Ed25519"],
        rules.proof_algorithms,
        "algorithms a DPoP proof may use",
    ),
    _group("PROXY", "the TLS-terminating proxy in front of the API: what is believed from it", PROXY_KEYS),
    Setting(
        "MIDDLEWARE_EXEMPT_PATHS",
        [],
        rules.url_paths,
        "paths ('/metrics') or prefixes ('/hooks/') whose tokens TokenMiddleware leaves to the view",
    ),
    _group(
        "SHARED_SIGNALS", "the Shared Signals (CAEP/RISC) receiver and the revocations it records", SHARED_SIGNALS_KEYS
    ),
)


@dataclass(frozen=True)
class Legacy:
    """A spelling from before 1.0 that still works until 1.1, with a warning (``jwks_auth.W010``)."""

    name: str
    rule: Rule
    #: What to write instead, as the warning says it.
    instead: str
    #: For a setting folded into a group: (group, key).
    group: tuple[str, str] | None = None


_DPOP = "nothing: RFC 9449's advice is fixed in jwks_auth.sender.settings.DPoPSettings"
_USERS = "a jwks_auth.users.DjangoUserResolver subclass's class attribute, named in USER_RESOLVER"

#: The flat names of grouped settings before 1.0: old name -> (group, key).
_FLAT_NAMES = {
    "HTTP_TIMEOUT": ("HTTP", "TIMEOUT"),
    "HTTP_VERIFY": ("HTTP", "VERIFY"),
    "HTTP_PROXIES": ("HTTP", "PROXIES"),
    "USER_AGENT": ("HTTP", "USER_AGENT"),
    "MAX_RESPONSE_BYTES": ("HTTP", "MAX_RESPONSE_BYTES"),
    "JWKS_DEFAULT_TTL": ("KEY_STORE", "DEFAULT_TTL"),
    "JWKS_MIN_TTL": ("KEY_STORE", "MIN_TTL"),
    "JWKS_MAX_TTL": ("KEY_STORE", "MAX_TTL"),
    "JWKS_STALE_TTL": ("KEY_STORE", "STALE_TTL"),
    "JWKS_REFRESH_AHEAD": ("KEY_STORE", "REFRESH_AHEAD"),
    "JWKS_RETRY_INTERVAL": ("KEY_STORE", "RETRY_INTERVAL"),
    "DISCOVERY_TTL": ("KEY_STORE", "DISCOVERY_TTL"),
    "LOCAL_TTL": ("KEY_STORE", "LOCAL_TTL"),
    "UNKNOWN_KID_COOLDOWN": ("KEY_STORE", "UNKNOWN_KID_COOLDOWN"),
    "RESOURCE_SCOPES": ("RESOURCE_METADATA", "SCOPES"),
    "RESOURCE_DOCUMENTATION": ("RESOURCE_METADATA", "DOCUMENTATION"),
    "TRUSTED_PROXIES": ("PROXY", "ADDRESSES"),
    "FORWARDED_HEADERS": ("PROXY", "FORWARDED_HEADERS"),
    "PUBLIC_ORIGINS": ("PROXY", "PUBLIC_ORIGINS"),
    "CLIENT_CERT_HEADER": ("PROXY", "CLIENT_CERT_HEADER"),
    "CLIENT_CERT_FORMAT": ("PROXY", "CLIENT_CERT_FORMAT"),
}


def _folded(old: str, group: str, key: str) -> Legacy:
    rule = next(item.rule for item in SETTINGS if item.name == group for item in item.keys if item.name == key)
    return Legacy(old, rule, f"JWKS_AUTH['{group}']['{key}']", (group, key))


LEGACY: tuple[Legacy, ...] = (
    *(_folded(old, group, key) for old, (group, key) in _FLAT_NAMES.items()),
    Legacy("READINESS_TIMEOUT", rules.number, "readyz_timeout in jwks_auth.ops.views (2 s, within a probe's budget)"),
    Legacy("MAX_TOKEN_LENGTH", rules.number, "TokenValidator.max_length (jwks_auth.validation.validator)"),
    Legacy("DPOP_IAT_MAX_AGE", rules.number, f"{_DPOP} (iat_max_age)"),
    Legacy("DPOP_IAT_MAX_AHEAD", rules.number, f"{_DPOP} (iat_max_ahead)"),
    Legacy("DPOP_JTI_MAX_LENGTH", rules.number, f"{_DPOP} (jti_max_length)"),
    Legacy("DPOP_MAX_PROOF_LENGTH", rules.number, f"{_DPOP} (max_proof_length)"),
    Legacy("DPOP_NONCE_STEP", rules.number, f"{_DPOP} (nonce_step)"),
    Legacy("USER_CREATE", rules.boolean, f"create_users, {_USERS}"),
    Legacy("USER_LOOKUP_FIELD", rules.optional(rules.string), f"lookup_field_name, {_USERS}"),
    Legacy("USER_CLAIM_FIELDS", rules.string_mapping, f"claim_fields, {_USERS}"),
)

BY_NAME: Mapping[str, Setting] = {setting.name: setting for setting in SETTINGS}
PER_ISSUER: Mapping[str, Setting] = {s.name: s for s in SETTINGS if s.scope == "issuer"}
LEGACY_BY_NAME: Mapping[str, Legacy] = {legacy.name: legacy for legacy in LEGACY}


def normalise(user: Mapping[str, Any]) -> dict[str, Any]:
    """``user`` with the old flat spellings of grouped settings folded into their groups (new spellings win)."""
    folded = {name: value for name, value in user.items() if name not in LEGACY_BY_NAME or not _is_grouped(name)}
    for name, value in user.items():
        legacy = LEGACY_BY_NAME.get(name)
        if legacy is None or legacy.group is None:
            continue
        group, key = legacy.group
        current = folded.get(group)
        if current is None:
            folded[group] = {key: value}
        elif isinstance(current, dict) and key not in current:
            folded[group] = {**current, key: value}
    return folded


def _is_grouped(name: str) -> bool:
    return LEGACY_BY_NAME[name].group is not None
