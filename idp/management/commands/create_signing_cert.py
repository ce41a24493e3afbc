"""Create the idp's self-signed RSA signing certificate and private key."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def self_signed_certificate(key: rsa.RSAPrivateKey, common_name: str, days: int) -> x509.Certificate:
    """A signing-only certificate, like the seed sample's `openssl req -x509`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write a new file created with `mode` (never briefly world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)  # the umask may have narrowed it; make it exact


def _load_rsa_key(path: Path) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CommandError(f"{path} is not an unencrypted RSA private key; use --force to replace it.")
    return key


class Command(BaseCommand):
    help = "Create certs/signing-key.pem (0600) and certs/signing-cert.pem unless they exist."

    # The signing-key system check would refuse to run the command that fixes it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="replace an existing key and certificate")
        parser.add_argument("--days", type=int, default=365, help="validity in days (default 365)")
        parser.add_argument(
            "--bits", type=int, default=2048, help="RSA key size (default 2048; 4096 like the seed sample)"
        )
        parser.add_argument("--common-name", default="Dev identity server signing key")

    def handle(self, *args: Any, **options: Any) -> None:
        key_path: Path = settings.IDP_SIGNING_KEY_PATH
        cert_path: Path = settings.IDP_SIGNING_CERT_PATH
        if key_path.exists() and cert_path.exists() and not options["force"]:
            self.stdout.write(
                f"Signing key {key_path} and certificate {cert_path} exist; keeping them (--force replaces)."
            )
            return
        if options["bits"] < 2048:
            raise CommandError("RS256 keys must have at least 2048 bits.")
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")

        if key_path.exists() and not options["force"]:
            # Keep a key that tokens were already signed with; only add its certificate.
            key = _load_rsa_key(key_path)
            cert = self_signed_certificate(key, options["common_name"], options["days"])
            _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
            self.stdout.write(self.style.SUCCESS(f"Wrote {cert_path} for the existing key {key_path}."))
            return
        if cert_path.exists() and not options["force"]:
            raise CommandError(f"{cert_path} exists but its key {key_path} does not; use --force to replace both.")

        key = rsa.generate_private_key(public_exponent=65537, key_size=options["bits"])
        cert = self_signed_certificate(key, options["common_name"], options["days"])
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write(key_path, key_pem, 0o600)
        _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {key_path} (RSA {options['bits']}, mode 0600) and {cert_path} (valid {options['days']} days)."
            )
        )
