"""``WWW-Authenticate`` for the schemes this API accepts: Bearer (RFC 6750) and DPoP (RFC 9449 7.1).

Where both are accepted both challenges are sent, in one header (RFC 9110
11.6.1); the error goes on the challenge of the scheme the request used.
Which schemes are accepted follows the issuers' ``DPOP`` policies: Bearer
unless every issuer requires DPoP, DPoP unless every issuer has it off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from jwks_auth.conf.settings import FromSettings, issuer_configs
from jwks_auth.exceptions import ConfigurationError
from jwks_auth.sender.components import get_sender_constraints

logger = logging.getLogger("jwks_auth.sender")


def _schemes_offered() -> tuple[bool, bool]:
    policies = [config.dpop for config in issuer_configs()] or ["allowed"]
    return any(p != "required" for p in policies), any(p != "off" for p in policies)


_offered = FromSettings(_schemes_offered)


def offered_schemes() -> tuple[bool, bool]:
    """``(bearer, dpop)``: whether each scheme is accepted for some issuer."""
    try:
        return _offered.get()
    except ConfigurationError:
        return True, False  # reported elsewhere (a 503); the plain Bearer challenge meanwhile


def dpop_algorithms() -> list[str]:
    try:
        return sorted(get_sender_constraints().settings.algorithms)
    except ConfigurationError:
        return []


def dpop_challenge(
    quote: Callable[[str], str],
    error: str | None = None,
    description: str | None = None,
    scopes: Iterable[str] | None = None,
    extra: Iterable[tuple[str, str]] = (),
) -> str:
    """``DPoP algs="...", error=...``; ``quote`` is the Bearer challenge's quoting function.

    ``extra``: further auth-params after the scope (RFC 9470's ``acr_values``, ``max_age``).
    """
    q = quote  # the one RFC 6750 quoting, from jwks_auth.web.www_authenticate
    params = []
    if error:
        params.append(f"error={q(error)}")
    if description:
        params.append(f"error_description={q(description)}")
    if scopes:
        params.append(f"scope={q(' '.join(sorted(scopes)))}")
    params.extend(f"{name}={q(value)}" for name, value in extra)
    params.append(f"algs={q(' '.join(dpop_algorithms()))}")
    return "DPoP " + ", ".join(params)
