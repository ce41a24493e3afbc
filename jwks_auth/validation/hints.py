"""Which setting to change when a likely misconfiguration refuses good tokens.

A token refused for its ``typ``, its claim layout, its audience or its
scopes is often a good token read with the wrong settings: another provider's
``PROFILE``, an ``AUDIENCE`` that differs by a trailing slash, scopes in a
claim ``SCOPE_CLAIMS`` does not read. The functions here only *describe*:
they never change what is accepted, and the refusal and its client-facing
text stay the same. Their sentences are built from the configured settings
and from fixed names (profiles, claim names) only, never from a token's own
values, so they are safe in a server log; ``log_hint`` logs one at most once
a minute, so a flood of crafted tokens cannot flood the log.

``jwks_explain`` prints the same sentences next to each step it reports.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from jwks_auth.conf.profiles import PROFILES
from jwks_auth.conf.settings import IssuerConfig, build_issuer, normalise_typ, on_reset
from jwks_auth.exceptions import ConfigurationError, TokenError
from jwks_auth.reasons import Reason
from jwks_auth.validation.claims import DEFAULT_RULES, ClaimContext
from jwks_auth.validation.scopes import claim_at, scope_values

logger = logging.getLogger("jwks_auth.validation")

#: Claims that some provider uses for scopes or roles (Entra ``scp``/``roles``, Keycloak
#: ``realm_access.roles``, Auth0 ``permissions``).
SCOPE_LIKE_CLAIMS: tuple[str | tuple[str, ...], ...] = (
    "scope",
    "scp",
    "roles",
    ("realm_access", "roles"),
    "permissions",
)
#: Profiles by their own name (``dev`` is another name of ``rfc9068``).
_PROFILE_NAMES = tuple(name for name in PROFILES if name != "dev")
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_LOG_INTERVAL = 60.0
_MAX_REMEMBERED = 256


def claim_label(name: str | tuple[str, ...]) -> str:
    """A claim name or path as written in a sentence: ``realm_access.roles``."""
    return name if isinstance(name, str) else ".".join(name)


#: Each profile's config for an issuer, built once: a flood of refused tokens costs no rebuilding.
_profile_configs: dict[tuple[str, str, tuple[str, ...]], IssuerConfig | None] = {}


def _profile_config(name: str, config: IssuerConfig) -> IssuerConfig | None:
    key = (name, config.issuer, tuple(sorted(config.audiences)))
    if key in _profile_configs:
        return _profile_configs.get(key)
    try:
        built: IssuerConfig | None = build_issuer({"ISSUER": key[1], "AUDIENCE": list(key[2]), "PROFILE": name})
    except ConfigurationError:
        built = None
    if len(_profile_configs) >= _MAX_REMEMBERED:
        _profile_configs.clear()
    _profile_configs[key] = built  # threads may build the same one twice: the same value, no lock needed
    return built


def _layout_score(header: Mapping[str, Any], claims: Mapping[str, Any], config: IssuerConfig) -> int | None:
    """How specifically a profile's ``config`` fits the token (``None``: it would refuse its typ or layout)."""
    typ = header.get("typ")
    if typ is not None and type(typ) is not str:
        return None
    if normalise_typ(typ) not in config.token_types:
        return None
    context = ClaimContext(config, time.time())
    try:
        DEFAULT_RULES.validate_required(claims, context)
        DEFAULT_RULES.validate_claim_values(claims, context)
    except TokenError:
        return None
    # A profile that asks for values or alternatives the token meets says more than one that asks for presence.
    own_scopes = [name for name in config.scope_claims if name != "scope" and claim_at(claims, name) is not None]
    return 2 * len(config.claim_values) + bool(config.required_one_of) + len(config.required_claims) + len(own_scopes)


def fitting_profiles(header: Mapping[str, Any], claims: Mapping[str, Any], config: IssuerConfig) -> list[str]:
    """The other profiles whose ``typ`` and claim layout this token has, best fit first."""
    scored = []
    for name in _PROFILE_NAMES:
        if name == config.profile or PROFILES[name] is PROFILES.get(config.profile):
            continue
        other = _profile_config(name, config)
        score = None if other is None else _layout_score(header, claims, other)
        if score is not None:
            scored.append((-score, _PROFILE_NAMES.index(name), name))
    return [name for _, _, name in sorted(scored)]


def profile_hint(header: Mapping[str, Any], claims: Mapping[str, Any], config: IssuerConfig) -> str | None:
    """For a ``typ`` or claim-layout refusal: the profile(s) the token looks like."""
    fitting = fitting_profiles(header, claims, config)
    if not fitting:
        return None
    also = f" (also fits: {', '.join(fitting[1:])})" if len(fitting) > 1 else ""
    return (
        f"the token has the typ and claims of PROFILE {fitting[0]!r}{also}, not of PROFILE {config.profile!r}: "
        f"set JWKS_AUTH['PROFILE'] for issuer {config.issuer}"
    )


def _aud_values(claims: Mapping[str, Any], config: IssuerConfig) -> list[str]:
    audience = claims.get(config.audience_claim)
    values = [audience] if isinstance(audience, str) else audience
    return [item for item in values if isinstance(item, str)] if isinstance(values, list) else []


def _close(value: str, audience: str) -> str | None:
    """How a token's ``aud`` value nearly equals a configured audience (``None``: not close)."""
    if value == audience:
        return None
    if value.rstrip("/") == audience.rstrip("/"):
        return "only by a trailing slash"
    if value.casefold() == audience.casefold():
        return "only in letter case"
    if value.removeprefix("api://") == audience.removeprefix("api://"):
        return "only by the api:// prefix"
    return None


def audience_hint(claims: Mapping[str, Any], config: IssuerConfig) -> str | None:
    """For an audience refusal: a token ``aud`` close to a configured ``AUDIENCE``, or a client id."""
    values = _aud_values(claims, config)
    for value in values:
        for audience in sorted(config.audiences):
            how = _close(value, audience)
            if how is not None:
                return (
                    f"the token's {config.audience_claim} differs {how} from AUDIENCE {audience!r}: "
                    "check JWKS_AUTH['AUDIENCE']"
                )
    clients = {claims.get(name) for name in ("azp", "client_id", "appid", "cid")} - {None}
    if any(value in clients for value in values):
        return (
            f"the token's {config.audience_claim} is the id of the client that asked for it (a token for the "
            "client itself, e.g. requested without this API's scope or resource), not one of "
            f"AUDIENCE {sorted(config.audiences)}: request a token for this API, or check JWKS_AUTH['AUDIENCE']"
        )
    if any(_GUID.fullmatch(value) for value in values) and any(a.startswith("api://") for a in config.audiences):
        return (
            f"the token's {config.audience_claim} is a client id (a GUID) while AUDIENCE holds an api:// URI: "
            "Entra v2 tokens carry the API's client id as aud, v1 tokens its application ID URI; add the "
            "client id to JWKS_AUTH['AUDIENCE']"
        )
    return None


def scopes_in_claims(claims: Mapping[str, Any], names: Iterable[str | tuple[str, ...]]) -> dict[str, list[str]]:
    """The scope values each claim of ``names`` holds, by claim label (claims of the wrong type skipped)."""
    found: dict[str, list[str]] = {}
    claims = dict(claims)  # claim_at walks dicts; a validated token's claims are a read-only view
    for name in names:
        value = claim_at(claims, name)
        if value is None:
            continue
        try:
            values = scope_values(value)
        except TokenError:
            continue
        if values:
            found[claim_label(name)] = values
    return found


def unread_scope_claims(claims: Mapping[str, Any], config: IssuerConfig) -> dict[str, list[str]]:
    """Scope-like claims (``SCOPE_LIKE_CLAIMS``) with values that ``SCOPE_CLAIMS`` does not read."""
    read = {claim_label(name) for name in config.scope_claims}
    others = [name for name in SCOPE_LIKE_CLAIMS if claim_label(name) not in read]
    return scopes_in_claims(claims, others)


def scope_hint(claims: Mapping[str, Any], config: IssuerConfig, required: Iterable[str]) -> str | None:
    """For an insufficient-scope refusal: required scopes found in a claim the profile does not read."""
    wanted = set(required)
    for label, values in unread_scope_claims(claims, config).items():
        found = sorted(wanted.intersection(values))
        if found:
            read = ", ".join(claim_label(name) for name in config.scope_claims) or "none"
            return (
                f"the required scope(s) {', '.join(found)} are in the token's {label} claim, which "
                f"SCOPE_CLAIMS ({read}, PROFILE {config.profile!r}) does not read: set JWKS_AUTH['SCOPE_CLAIMS'] "
                f"(or PROFILE) for issuer {config.issuer}"
            )
    return None


def refusal_hint(
    exc: TokenError, header: Mapping[str, Any], claims: Mapping[str, Any], config: IssuerConfig
) -> str | None:
    """The setting that would let a refused token in, for the refusals a setting commonly causes."""
    if exc.code is Reason.TYP or exc.code in (Reason.MISSING_CLAIM, Reason.CLAIM_VALUE):
        return profile_hint(header, claims, config)
    if exc.code is Reason.AUDIENCE:
        return audience_hint(claims, config)
    return None


_logged: dict[str, float] = {}
_lock = threading.Lock()


@on_reset
def _forget_logged() -> None:
    """New settings, new sentences: each is worth logging once again."""
    with _lock:
        _logged.clear()
    _profile_configs.clear()


def log_hint(reason: str, hint: str | None) -> None:
    """Log ``hint`` for a refusal of ``reason`` (a warning), the same sentence at most once a minute."""
    if hint is None:
        return
    now = time.monotonic()
    with _lock:
        if now < _logged.get(hint, 0.0):
            return
        if len(_logged) >= _MAX_REMEMBERED:
            _logged.clear()
        _logged[hint] = now + _LOG_INTERVAL
    logger.warning("Token refused (%s): %s", reason, hint, extra={"jwks_event": "refusal_hint", "reason": reason})


def explain_refusal(
    exc: TokenError, header: Mapping[str, Any], claims: Mapping[str, Any] | None, config: IssuerConfig
) -> None:
    """Log the setting to change for a refusal a setting commonly causes; never raises."""
    try:
        log_hint(str(exc.code), refusal_hint(exc, header, claims or {}, config))
    except Exception:  # a hint must never turn a 401 into a 500
        logger.debug("No hint for a refusal of %s", exc.code, exc_info=True)


def explain_insufficient_scope(claims: Mapping[str, Any], config: IssuerConfig | None, required: Iterable[str]) -> None:
    """Log ``SCOPE_CLAIMS`` when a 403's missing scopes are in a claim the profile does not read; never raises."""
    if config is None:
        return
    try:
        log_hint("insufficient_scope", scope_hint(claims, config, required))
    except Exception:  # a hint must never turn a 403 into a 500
        logger.debug("No hint for an insufficient scope", exc_info=True)
