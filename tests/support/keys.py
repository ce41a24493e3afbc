"""Real signing keys for tests and benchmarks, with their public JWKs."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_uint(value: int, length: int | None = None) -> str:
    length = length or max(1, (value.bit_length() + 7) // 8)
    return b64url(value.to_bytes(length, "big"))


_CURVES = {"P-256": (ec.SECP256R1, 32), "P-384": (ec.SECP384R1, 48), "P-521": (ec.SECP521R1, 66)}


@dataclass
class SigningKey:
    """A private key plus the JWK an issuer would publish for it."""

    private_key: Any
    kid: str
    alg: str
    extra: dict[str, Any] = field(default_factory=dict)
    certificate: x509.Certificate | None = None

    @classmethod
    def rsa(
        cls,
        kid: str = "rsa-key-1",
        bits: int = 2048,
        alg: str = "RS256",
        x5c: bool = False,
        *,
        fresh: bool = False,
        **extra: Any,
    ) -> SigningKey:
        """An RSA key from a small pool reused round-robin, or a ``fresh`` one never handed out again.

        A key that must differ from every other key of the run (the suite's signing key, the key a forgery is
        signed with) is ``fresh``: two pooled keys can be the same key once the pool has come round.
        """
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits) if fresh else _rsa_key(bits)
        key = cls(private_key, kid, alg, dict(extra))
        if x5c:
            key.certificate = self_signed_certificate(key.private_key)
        return key

    @classmethod
    def ec(cls, kid: str = "ec-key-1", crv: str = "P-256", alg: str = "ES256", **extra: Any) -> SigningKey:
        return cls(ec.generate_private_key(_CURVES[crv][0]()), kid, alg, dict(extra))

    @classmethod
    def ed25519(cls, kid: str = "ed-key-1", **extra: Any) -> SigningKey:
        return cls(ed25519.Ed25519PrivateKey.generate(), kid, "EdDSA", dict(extra))

    @property
    def public_key(self) -> Any:
        return self.private_key.public_key()

    def public_jwk(self, include_alg: bool = True, include_use: bool = True) -> dict[str, Any]:
        pub = self.public_key
        if isinstance(pub, rsa.RSAPublicKey):
            numbers = pub.public_numbers()
            jwk: dict[str, Any] = {"kty": "RSA", "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            numbers = pub.public_numbers()
            crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[pub.curve.name]
            size = _CURVES[crv][1]
            jwk = {"kty": "EC", "crv": crv, "x": b64url_uint(numbers.x, size), "y": b64url_uint(numbers.y, size)}
        else:
            raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        jwk["kid"] = self.kid
        if include_use:
            jwk["use"] = "sig"
        if include_alg:
            jwk["alg"] = self.alg
        if self.certificate is not None:
            der = self.certificate.public_bytes(serialization.Encoding.DER)
            jwk["x5c"] = [base64.b64encode(der).decode("ascii")]
            jwk["x5t"] = b64url(hashlib.sha1(der).digest())
        jwk.update(self.extra)
        return jwk

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


_RSA_POOL: dict[int, list[rsa.RSAPrivateKey]] = {}


def _rsa_key(bits: int) -> rsa.RSAPrivateKey:
    """A fresh RSA key; generation is slow, so a few are reused round-robin per bit size."""
    pool = _RSA_POOL.setdefault(bits, [])
    if len(pool) < 6:
        pool.append(rsa.generate_private_key(public_exponent=65537, key_size=bits))
        return pool[-1]
    pool.append(pool.pop(0))
    return pool[-1]


# Not shared with the sample identity server's builder (idp/management/commands/create_signing_cert.py): the
# package's own suite runs from a wheel without the sample project (noxfile.py's lib sessions).
def self_signed_certificate(
    private_key: Any, common_name: str = "test signing key", days: int = 365
) -> x509.Certificate:
    """A signing-only self-signed certificate for a key's ``x5c``, as identity servers publish."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
        .sign(private_key, hashes.SHA256())
    )


def jwks(*keys: SigningKey, **kwargs: Any) -> dict[str, Any]:
    return {"keys": [key.public_jwk(**kwargs) for key in keys]}


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
