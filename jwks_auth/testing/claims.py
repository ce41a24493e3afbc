"""Access-token claims shaped as the configured issuer's provider shapes them (its ``PROFILE``).

The claims are read from the issuer's own settings: ``iss``, the audience
claim (``aud``, or Cognito's ``client_id``) with the first configured audience,
``CLAIM_VALUES`` (Keycloak's ``typ: Bearer``, Cognito's ``token_use``), every
``REQUIRED_CLAIMS`` and one of ``REQUIRED_ONE_OF``, and the scopes in the
first of ``SCOPE_CLAIMS`` in the form that provider uses.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from jwks_auth.conf.profiles import PROFILES
from jwks_auth.conf.settings import IssuerConfig, jwks_settings, normalise_typ

CLIENT_ID = "test-client"
SUBJECT = "test-user"
#: Providers whose scope claim is a JSON array rather than a space-separated string.
_ARRAY_SCOPES = {("identityserver4-2", "scope"), ("identityserver4", "scope"), ("duende", "scope"), ("okta", "scp")}


def issuer_settings(issuer: str) -> dict[str, Any]:
    """The issuer's own entry as written (top-level keys under its ``ISSUERS`` entry), lists in their order."""
    user = jwks_settings.user_settings
    top = {key: value for key, value in user.items() if key != "ISSUERS"}
    for entry in user.get("ISSUERS") or []:
        entry = {"ISSUER": entry} if isinstance(entry, str) else dict(entry)
        if entry.get("ISSUER") == issuer:
            return {**top, **entry}
    return top


def _first(written: Any, choices: Iterable[Any]) -> Any:
    """The first of ``written`` (a setting's list, in the order written) that is a choice, else a sorted one."""
    allowed = list(choices)
    items = [written] if isinstance(written, str) or written is None else list(written)
    for item in items:
        if item in allowed:
            return item
    return sorted(allowed, key=str)[0] if allowed else None


def default_alg(config: IssuerConfig) -> str:
    return str(_first(issuer_settings(config.issuer).get("ALGORITHMS"), config.algorithms))


def default_typ(config: IssuerConfig) -> str | None:
    written = issuer_settings(config.issuer).get("TOKEN_TYPES") or PROFILES[config.profile].get("TOKEN_TYPES")
    written = [written] if isinstance(written, str) or written is None else list(written)
    for typ in written:
        if normalise_typ(typ) in config.token_types:
            return typ  # type: ignore[no-any-return]
    return None if None in config.token_types else sorted(t for t in config.token_types if t)[0]


def audience(config: IssuerConfig) -> str:
    return str(_first(issuer_settings(config.issuer).get("AUDIENCE"), config.audiences) or CLIENT_ID)


def scope_claims(config: IssuerConfig, scopes: Iterable[str]) -> dict[str, Any]:
    """``scopes`` where the issuer's first scope claim reads them: a string, an array, or a nested path."""
    names = config.scope_claims or ("scope",)
    name = names[0]
    values = list(scopes)
    if isinstance(name, tuple):  # a path such as ("realm_access", "roles"): an array at its end
        nested: Any = values
        for part in reversed(name):
            nested = {part: nested}
        return dict(nested)
    array = (config.profile, name) in _ARRAY_SCOPES or name in ("roles", "permissions", "groups")
    return {name: values if array else " ".join(values)}


def _filler(name: str, now: int) -> Any:
    """A plausible value for a required claim nothing else set."""
    if name in ("iat", "nbf", "auth_time"):
        return now
    if name == "jti":
        return uuid.uuid4().hex
    if name == "sub":
        return SUBJECT
    return CLIENT_ID  # client_id, azp, cid, appid: the calling client


def access_claims(
    config: IssuerConfig, scopes: Iterable[str] | None, expires_in: float, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The claims of an access token for ``config``; an override of ``None`` removes that claim."""
    now = int(time.time())
    claims: dict[str, Any] = {"iss": config.issuer, "sub": SUBJECT, config.audience_claim: audience(config)}
    claims.update({"iat": now, "nbf": now, "exp": int(now + expires_in), "jti": uuid.uuid4().hex})
    for name, value in config.claim_values.items():
        claims[name] = value
    for name in config.required_claims:
        claims.setdefault(name, _filler(name, now))
    if config.required_one_of and not any(name in claims for name in config.required_one_of):
        claims[config.required_one_of[0]] = _filler(config.required_one_of[0], now)
    if scopes is not None:
        claims.update(scope_claims(config, scopes))
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


__all__ = ["access_claims", "audience", "default_alg", "default_typ", "issuer_settings", "scope_claims"]
