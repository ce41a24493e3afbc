"""Security profiles: one per-issuer switch (``SECURITY_PROFILE``) for a set of rules a standard fixes.

``fapi2`` is the resource-server part of the FAPI 2.0 Security Profile (final, February 2025):

* access tokens only in the ``Authorization`` header (every issuer already: no query or form token is read);
* sender-constrained tokens only (DPoP, RFC 9449, or a client certificate, RFC 8705): a token without
  ``cnf`` is refused, whatever the scheme (``jwks_auth.sender.binding``);
* signatures PS256, ES256 or EdDSA (Ed25519) only, for access tokens and DPoP proofs;
* ``iat`` and ``nbf`` accepted at most 10 s in the future: the issuer's ``LEEWAY`` is capped at 10 s.

The profile changes the issuer's *defaults* where the user said nothing (``ALGORITHMS``, ``LEEWAY``; an empty
``ALGORITHMS`` list counts as nothing) and *narrows* what they said otherwise, so that a contradicting setting
can never loosen it at run time; ``manage.py check`` reports such a setting as an error (``conflicts``,
``jwks_auth.E012``).
Everything is decided when the issuer's configuration is built: nothing is added to a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jwks_auth.utils.algorithms import EDDSA_NAMES

__all__ = [
    "FAPI2",
    "FAPI2_ALGORITHMS",
    "FAPI2_MAX_LEEWAY",
    "Conflict",
    "conflicts",
    "profile_values",
]

FAPI2 = "fapi2"
#: FAPI 2.0 Security Profile 5.4 (cryptography): PS256, ES256, and EdDSA with Ed25519 (either of its names).
FAPI2_ALGORITHMS = frozenset({"PS256", "ES256"}) | EDDSA_NAMES
#: FAPI 2.0 Security Profile, the clock-skew clause (the working group's issue 603): ``iat``/``nbf`` up to 10 s ahead.
FAPI2_MAX_LEEWAY = 10.0
#: What an issuer under the profile gets for the settings it does not set.
_FAPI2_DEFAULTS: dict[str, Any] = {"ALGORITHMS": ["PS256", "ES256", "EdDSA"], "LEEWAY": FAPI2_MAX_LEEWAY}


@dataclass(frozen=True)
class Conflict:
    """A setting that contradicts the issuer's profile: which, why, and what to write instead."""

    setting: str
    message: str
    hint: str


def profile_values(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` (one issuer's settings, only those the user set) with its profile's defaults filled in.

    An entry without ``SECURITY_PROFILE`` is returned as it is. What the user set is narrowed to the
    profile afterwards, on the built configuration (``jwks_auth.conf.settings.build_issuer``).
    """
    if entry.get("SECURITY_PROFILE") != FAPI2:
        return dict(entry)
    return {**_FAPI2_DEFAULTS, **{name: value for name, value in entry.items() if not _unset(value)}}


def _unset(value: Any) -> bool:
    """``None``, or an empty list: the issuer's settings read both as "the default" (``empty_is_default``); an
    empty ``ALGORITHMS`` kept here would fall back to the provider's default (RS256) and then be narrowed to
    nothing, refusing every token."""
    return value is None or (isinstance(value, (list, tuple)) and not value)


def conflicts(entry: Mapping[str, Any], *, dpop_algorithms: Any, client_cert_header: Any) -> list[Conflict]:
    """The settings of one issuer (those the user set, ``entry``) that contradict its profile.

    ``dpop_algorithms`` and ``client_cert_header`` are the global ``DPOP_ALGORITHMS`` and
    ``PROXY["CLIENT_CERT_HEADER"]``.
    """
    if entry.get("SECURITY_PROFILE") != FAPI2:
        return []
    found = []
    algorithms = entry.get("ALGORITHMS")
    if isinstance(algorithms, (list, tuple)):
        other = sorted(str(alg) for alg in algorithms if alg not in FAPI2_ALGORITHMS)
        if other:
            left = "" if len(other) < len(algorithms) else " None is left: every token would be refused."
            found.append(
                Conflict(
                    "ALGORITHMS",
                    f"allows {', '.join(other)}, which FAPI 2.0 does not.{left}",
                    "Under SECURITY_PROFILE 'fapi2' set ALGORITHMS to PS256, ES256 and/or EdDSA (or leave it unset).",
                )
            )
    leeway = entry.get("LEEWAY")
    if isinstance(leeway, (int, float)) and not isinstance(leeway, bool) and leeway > FAPI2_MAX_LEEWAY:
        found.append(
            Conflict(
                "LEEWAY",
                f"is {leeway:g} s; FAPI 2.0 accepts iat and nbf at most {FAPI2_MAX_LEEWAY:g} s in the future.",
                f"Under SECURITY_PROFILE 'fapi2' set LEEWAY to {FAPI2_MAX_LEEWAY:g} or less (or leave it unset).",
            )
        )
    if entry.get("DPOP") == "off" and not client_cert_header:
        found.append(
            Conflict(
                "DPOP",
                "is 'off' and no client certificate reaches the API (PROXY['CLIENT_CERT_HEADER'] is unset): "
                "FAPI 2.0 accepts only sender-constrained tokens, so every token would be refused.",
                "Under SECURITY_PROFILE 'fapi2' set DPOP to 'allowed' or 'required', or set "
                "PROXY['CLIENT_CERT_HEADER'] for certificate-bound tokens (RFC 8705).",
            )
        )
    if entry.get("DPOP") != "off" and isinstance(dpop_algorithms, (list, tuple)):
        other = sorted(str(alg) for alg in dpop_algorithms if alg not in FAPI2_ALGORITHMS)
        if other:
            found.append(
                Conflict(
                    "DPOP_ALGORITHMS",
                    f"allows {', '.join(other)} for DPoP proofs, which FAPI 2.0 does not "
                    "(such proofs are refused for this issuer).",
                    "Set DPOP_ALGORITHMS to PS256, ES256 and/or EdDSA.",
                )
            )
    return found
