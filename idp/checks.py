"""Refuse to start without a usable signing key, and say how to make one."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core import checks

HINT = "Run `make certs` (python manage.py create_signing_cert --settings=idp.settings)."


@checks.register()
def signing_key_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The key must exist and be RSA; the certificate, if present, must hold its public key."""
    key_path, cert_path = settings.IDP_SIGNING_KEY_PATH, settings.IDP_SIGNING_CERT_PATH
    if not settings.IDP_SIGNING_KEY_PEM:
        return [checks.Error(f"Signing key {key_path} not found.", hint=HINT, id="idp.E001")]
    try:
        key = serialization.load_pem_private_key(settings.IDP_SIGNING_KEY_PEM.encode(), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        return [
            checks.Error(f"Signing key {key_path} is not an unencrypted RSA private key.", hint=HINT, id="idp.E002")
        ]
    if not settings.IDP_SIGNING_CERT_PEM:
        return [checks.Error(f"Signing certificate {cert_path} not found.", hint=HINT, id="idp.E003")]
    try:
        cert_key = x509.load_pem_x509_certificate(settings.IDP_SIGNING_CERT_PEM.encode()).public_key()
    except ValueError:
        cert_key = None
    if not isinstance(cert_key, rsa.RSAPublicKey) or cert_key.public_numbers() != key.public_key().public_numbers():
        return [
            checks.Error(
                f"Certificate {cert_path} does not belong to key {key_path}.",
                hint="Regenerate both: python manage.py create_signing_cert --force --settings=idp.settings",
                id="idp.E004",
            )
        ]
    return []
