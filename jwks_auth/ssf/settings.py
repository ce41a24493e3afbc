"""The transmitters of ``SHARED_SIGNALS["TRANSMITTERS"]``, read once per settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from jwks_auth.conf.settings import issuer_configs, jwks_settings

SSF_WELL_KNOWN = "/.well-known/ssf-configuration"
#: What a SET may be signed with unless a transmitter says otherwise: no HMAC, never ``none``.
DEFAULT_ALGORITHMS = frozenset({"RS256", "PS256", "ES256", "EdDSA", "Ed25519"})


def ssf_configuration_url(issuer: str) -> str:
    """SSF 1.0 7.2: the well-known path inserted between the host and the issuer's path (as RFC 8414)."""
    parts = urlsplit(issuer)
    return urlunsplit((parts.scheme, parts.netloc, SSF_WELL_KNOWN + parts.path.rstrip("/"), "", ""))


def _strings(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    return frozenset([value] if isinstance(value, str) else [str(item) for item in value])


@dataclass(frozen=True)
class Transmitter:
    """One transmitter: who signs the SETs, for whom, and whose tokens its subjects are."""

    issuer: str
    #: A SET's ``aud`` must hold one of these (default: the trusted issuers' AUDIENCE values).
    audiences: frozenset[str]
    configuration_url: str
    #: The key URL, when not the configuration document's ``jwks_uri``.
    jwks_uri: str | None
    algorithms: frozenset[str]
    #: The ``iss`` of the tokens its subjects name (canonical issuers, aliases folded in); default: its own.
    token_issuers: frozenset[str]
    poll_url: str | None
    #: The ``Authorization`` header value of a poll request (a secret: not in the repr).
    poll_authorization: str | None = field(repr=False)
    #: The ``Authorization`` header value a push must carry, when set (a secret: not in the repr).
    push_authorization: str | None = field(repr=False)

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any], aliases: Mapping[str, str], audiences: frozenset[str]) -> Transmitter:
        issuer = str(entry["ISSUER"])
        token_issuers = _strings(entry.get("TOKEN_ISSUERS")) or frozenset({issuer})
        return cls(
            issuer=issuer,
            audiences=_strings(entry.get("AUDIENCE")) or audiences,
            configuration_url=entry.get("CONFIGURATION_URL") or ssf_configuration_url(issuer),
            jwks_uri=entry.get("JWKS_URI") or None,
            algorithms=_strings(entry.get("ALGORITHMS")) or DEFAULT_ALGORITHMS,
            token_issuers=frozenset(aliases.get(iss, iss) for iss in token_issuers),
            poll_url=entry.get("POLL_URL") or None,
            poll_authorization=entry.get("POLL_AUTHORIZATION") or None,
            push_authorization=entry.get("PUSH_AUTHORIZATION") or None,
        )


def issuer_aliases() -> dict[str, str]:
    """Every accepted ``iss`` of the trusted issuers -> that issuer's ``ISSUER`` (what tokens are matched by)."""
    return {iss: config.issuer for config in issuer_configs() for iss in config.accepted_issuers}


def transmitters() -> dict[str, Transmitter]:
    """The transmitters by issuer (the first of an issuer wins)."""
    configs = issuer_configs()
    aliases = issuer_aliases()
    audiences = frozenset(aud for config in configs for aud in config.audiences)
    found: dict[str, Transmitter] = {}
    for entry in jwks_settings.SHARED_SIGNALS.get("TRANSMITTERS") or []:
        transmitter = Transmitter.from_entry(entry, aliases, audiences)
        found.setdefault(transmitter.issuer, transmitter)
    return found
