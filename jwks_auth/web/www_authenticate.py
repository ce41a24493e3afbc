"""``WWW-Authenticate``: the RFC 6750 Bearer challenge, and DPoP's (RFC 9449 7.1) beside it; built without DRF.

Where both schemes are accepted both challenges are sent, in one header
(RFC 9110 11.6.1), and the error goes on the challenge of the scheme the
request used. Which schemes are accepted follows the issuers' ``DPOP``
policies (``jwks_auth.sender.challenge.offered_schemes``).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable

from jwks_auth.conf.settings import FromSettings, jwks_settings, on_reset
from jwks_auth.exceptions import ConfigurationError, Refusal
from jwks_auth.sender.challenge import dpop_challenge, offered_schemes
from jwks_auth.web.resource_metadata import resource_metadata_url

# RFC 6750 3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E.
_UNSAFE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
#: The challenge of a refusal when the settings give none (an unusable ``REALM`` or ``RESOURCE``).
FALLBACK_CHALLENGE = 'Bearer realm="api"'

logger = logging.getLogger("jwks_auth.authentication")


def _quote(value: str) -> str:
    # Not cut short: every value is a fixed text or the server's configuration (never a token's), and a cut
    # scope list or resource_metadata URL would tell the client something wrong.
    return '"' + _UNSAFE.sub("", value) + '"'


def _read_realm() -> str:
    realm = jwks_settings.REALM
    if not isinstance(realm, str):
        raise ConfigurationError("JWKS_AUTH['REALM'] must be a string (the realm of WWW-Authenticate challenges).")
    return _quote(realm)


#: ``REALM``, quoted once per settings.
_realm = FromSettings(_read_realm)


def bearer_challenge(
    error: str | None = None,
    description: str | None = None,
    scopes: Iterable[str] | None = None,
    *,
    scheme: str = "Bearer",
    params: tuple[tuple[str, str], ...] = (),
) -> str:
    """The value of a ``WWW-Authenticate`` header: Bearer, and DPoP where it is accepted.

    ``params`` are further auth-params of the error's challenge, in order
    (RFC 9470's ``acr_values`` and ``max_age``); their values come from the
    server's configuration, never from a token.

    The error goes on the challenge of ``scheme``, the one the request used
    (on DPoP's when Bearer is not offered at all). Built once per arguments
    until the settings change: errors and descriptions are fixed texts, so
    there are few of them, and every refused token needs one.
    """
    return _challenge(error, description, None if scopes is None else tuple(sorted(set(scopes))), scheme, params)


@functools.lru_cache(maxsize=512)
def _challenge(
    error: str | None,
    description: str | None,
    scopes: tuple[str, ...] | None,
    scheme: str,
    extra: tuple[tuple[str, str], ...] = (),
) -> str:
    bearer, dpop = offered_schemes()
    if not dpop:
        return _bearer_only(error, description, scopes, extra)
    on_dpop = scheme.lower() == "dpop" or not bearer
    challenges = []
    if bearer:
        challenges.append(_bearer_only() if on_dpop else _bearer_only(error, description, scopes, extra))
    challenges.append(dpop_challenge(_quote, error, description, scopes, extra) if on_dpop else dpop_challenge(_quote))
    return ", ".join(challenges)


def _bearer_only(
    error: str | None = None,
    description: str | None = None,
    scopes: Iterable[str] | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> str:
    params = [f"realm={_realm.get()}"]
    if error:
        params.append(f"error={_quote(error)}")
    if description:
        params.append(f"error_description={_quote(description)}")
    if scopes:
        params.append(f"scope={_quote(' '.join(sorted(scopes)))}")
    params.extend(f"{name}={_quote(value)}" for name, value in extra)
    metadata = resource_metadata_url()
    if metadata:
        params.append(f"resource_metadata={_quote(metadata)}")
    return "Bearer " + ", ".join(params)


def refusal_challenge(refusal: Refusal) -> str | None:
    """The ``WWW-Authenticate`` value of ``refusal``, ``None`` for one without a challenge (a 503).

    The error, its description and the refusal's auth-params go on the
    challenge of the refusal's ``scheme``; a refusal without an error (no
    credential) gets the plain challenges. Never raises: when the settings
    give no challenge (``REALM`` or ``RESOURCE`` unusable), the refusal is
    still answered, on ``FALLBACK_CHALLENGE``, and the log names the setting.
    """
    if not refusal.challenges:
        return None
    try:
        if refusal.error is None:
            return bearer_challenge()
        return _challenge(
            refusal.error,
            refusal.description,
            tuple(sorted(refusal.scopes)) if refusal.scopes else None,
            refusal.scheme,
            refusal.challenge_params,
        )
    except ConfigurationError as exc:
        logger.error("JWKS_AUTH is misconfigured: %s", exc)
    except Exception:  # the answer to a refusal is never a 500
        logger.exception("WWW-Authenticate challenge could not be built")
    return FALLBACK_CHALLENGE


@on_reset
def _forget_challenges() -> None:
    _challenge.cache_clear()
