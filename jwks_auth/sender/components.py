"""The process's DPoP machinery, built from the settings on first use and rebuilt when they change."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings as django_settings

from jwks_auth.conf.settings import FromSettings, jwks_settings
from jwks_auth.sender.nonce import NonceSource
from jwks_auth.sender.proof import ProofVerifier
from jwks_auth.sender.replay import ReplayGuard
from jwks_auth.sender.settings import DPoPSettings
from jwks_auth.utils.shared_cache import SharedCache


@dataclass(frozen=True)
class SenderConstraints:
    settings: DPoPSettings
    verifier: ProofVerifier
    nonces: NonceSource

    @classmethod
    def from_settings(cls) -> SenderConstraints:
        """``ConfigurationError`` for a bad setting."""
        settings = DPoPSettings.from_settings()
        cache = SharedCache(str(jwks_settings.CACHE_ALIAS))
        replay = ReplayGuard(cache, str(jwks_settings.CACHE_KEY_PREFIX))
        nonces = NonceSource.from_secret(str(django_settings.SECRET_KEY), settings.nonce_step)
        return cls(settings, ProofVerifier(settings, replay, nonces), nonces)


_current = FromSettings(lambda: SenderConstraints.from_settings())


def get_sender_constraints() -> SenderConstraints:
    return _current.get()
