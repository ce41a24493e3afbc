"""The global DPoP and client-certificate settings, read once into ``DPoPSettings``."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from jwks_auth.conf import schema as settings_schema
from jwks_auth.conf.settings import DEFAULTS, jwks_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class DPoPSettings:
    """Proof rules and the proxy facts every issuer shares (per-issuer: ``IssuerConfig.dpop*``).

    The five spec constants below are not settings: RFC 9449's advice, fixed here (the pre-1.0 ``DPOP_*``
    settings still override them until 1.1, with a ``jwks_auth.W010`` warning).
    """

    algorithms: frozenset[str] = frozenset({"ES256", "PS256", "EdDSA", "Ed25519"})
    #: Seconds a proof stays acceptable after its ``iat`` (and its ``jti`` is remembered).
    iat_max_age: float = 60.0
    #: Seconds a proof's ``iat`` may be ahead of this clock.
    iat_max_ahead: float = 5.0
    jti_max_length: int = 256
    max_proof_length: int = 8192
    #: A server nonce is good for one to two steps (seconds).
    nonce_step: int = 60
    public_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[Network, ...] = ()
    #: Lower-case names of the forwarded headers believed from a trusted proxy.
    forwarded_headers: frozenset[str] = frozenset({"x-forwarded-proto", "x-forwarded-host"})
    cert_header: str | None = None
    cert_format: str = "escaped-pem"

    @classmethod
    def from_settings(cls, user: dict[str, Any] | None = None) -> DPoPSettings:
        """From ``JWKS_AUTH``; a bad value is a ``ConfigurationError`` (``settings_schema``)."""
        user = jwks_settings.user_settings if user is None else user
        settings_schema.validate(user, DEFAULTS)

        def value(name: str) -> Any:
            return user.get(name, DEFAULTS[name])

        proxy = {**DEFAULTS["PROXY"], **value("PROXY")}

        def constant(name: str, attribute: str) -> Any:
            legacy = user.get(name)  # a pre-1.0 setting (jwks_auth.W010), read until 1.1
            return getattr(cls, attribute) if legacy is None else legacy

        return cls(
            algorithms=frozenset(value("DPOP_ALGORITHMS")),
            iat_max_age=float(constant("DPOP_IAT_MAX_AGE", "iat_max_age")),
            iat_max_ahead=float(constant("DPOP_IAT_MAX_AHEAD", "iat_max_ahead")),
            jti_max_length=int(constant("DPOP_JTI_MAX_LENGTH", "jti_max_length")),
            max_proof_length=int(constant("DPOP_MAX_PROOF_LENGTH", "max_proof_length")),
            # Zero is reported by the checks (E006); one second keeps the windows meaningful.
            nonce_step=max(1, int(constant("DPOP_NONCE_STEP", "nonce_step"))),
            public_origins=tuple(str(origin).rstrip("/") for origin in proxy["PUBLIC_ORIGINS"]),
            trusted_proxies=tuple(ipaddress.ip_network(net, strict=False) for net in proxy["ADDRESSES"]),
            forwarded_headers=frozenset(str(name).lower() for name in proxy["FORWARDED_HEADERS"]),
            cert_header=proxy["CLIENT_CERT_HEADER"] or None,
            cert_format=str(proxy["CLIENT_CERT_FORMAT"]),
        )

    def is_trusted_proxy(self, address: str) -> bool:
        """``address`` (REMOTE_ADDR) is one of ``PROXY["ADDRESSES"]``."""
        if not self.trusted_proxies:
            return False  # the common case, without parsing the address
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)

    @property
    def replay_ttl(self) -> int:
        """How long a jti is remembered: as long as its proof could be accepted, at least a second."""
        return max(1, int(self.iat_max_age + self.iat_max_ahead + 1))
