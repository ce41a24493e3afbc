"""Signing keys and compact JWS for the testing kit, with ``cryptography`` only (no PyJWT at run time)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_CURVES: dict[str, tuple[str, type[ec.EllipticCurve], int]] = {
    "ES256": ("P-256", ec.SECP256R1, 32),
    "ES384": ("P-384", ec.SECP384R1, 48),
    "ES512": ("P-521", ec.SECP521R1, 66),
}
_CURVE_NAMES = {curve().name: (crv, size) for crv, curve, size in _CURVES.values()}
EDDSA = frozenset({"EdDSA", "Ed25519"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int, length: int | None = None) -> str:
    return b64url(value.to_bytes(length or max(1, (value.bit_length() + 7) // 8), "big"))


def generate_private_key(alg: str) -> PrivateKey:
    """A fresh key for ``alg``: RSA 2048 for RS*/PS*, the alg's curve for ES*, Ed25519 for EdDSA."""
    if alg in EDDSA:
        return ed25519.Ed25519PrivateKey.generate()
    if alg in _CURVES:
        return ec.generate_private_key(_CURVES[alg][1]())
    if alg[:2] in ("RS", "PS") and alg[2:] in _HASHES:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"jwks_auth.testing cannot sign with {alg!r}")


def public_jwk(private_key: PrivateKey) -> dict[str, Any]:
    """The bare public JWK (``kty`` and the key's members only)."""
    public = private_key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": _uint(numbers.n), "e": _uint(numbers.e)}
    if isinstance(public, ec.EllipticCurvePublicKey):
        point = public.public_numbers()
        crv, size = _CURVE_NAMES[public.curve.name]
        return {"kty": "EC", "crv": crv, "x": _uint(point.x, size), "y": _uint(point.y, size)}
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public.public_bytes(Encoding.Raw, PublicFormat.Raw))}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of a public JWK: ``cnf.jkt`` of a DPoP-bound token."""
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def sign(signing_input: bytes, private_key: PrivateKey, alg: str) -> bytes:
    if isinstance(private_key, ed25519.Ed25519PrivateKey) and alg in EDDSA:
        return private_key.sign(signing_input)
    digest = _HASHES[alg[2:]]()
    if isinstance(private_key, rsa.RSAPrivateKey) and alg.startswith("RS"):
        return private_key.sign(signing_input, padding.PKCS1v15(), digest)
    if isinstance(private_key, rsa.RSAPrivateKey) and alg.startswith("PS"):
        return private_key.sign(signing_input, padding.PSS(padding.MGF1(digest), digest.digest_size), digest)
    if isinstance(private_key, ec.EllipticCurvePrivateKey) and alg.startswith("ES"):
        r, s = utils.decode_dss_signature(private_key.sign(signing_input, ec.ECDSA(digest)))
        size = (private_key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise ValueError(f"a {type(private_key).__name__} cannot sign {alg!r}")


def _segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def compact_jws(header: dict[str, Any], claims: dict[str, Any], private_key: PrivateKey) -> str:
    """``header.claims.signature``, signed with the algorithm the header names."""
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    return f"{signing_input}.{b64url(sign(signing_input.encode('ascii'), private_key, str(header['alg'])))}"


@dataclass(frozen=True)
class IssuerKey:
    """One of the fake issuer's signing keys and the JWK it publishes."""

    kid: str
    alg: str
    private_key: PrivateKey

    @classmethod
    def generate(cls, kid: str, alg: str) -> IssuerKey:
        return cls(kid, alg, generate_private_key(alg))

    def jwk(self) -> dict[str, Any]:
        return {**public_jwk(self.private_key), "kid": self.kid, "use": "sig", "alg": self.alg}

    def can_sign(self, alg: str) -> bool:
        key = self.private_key
        if alg in EDDSA:
            return isinstance(key, ed25519.Ed25519PrivateKey)
        if alg in _CURVES:
            return isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == _CURVES[alg][1]().name
        return isinstance(key, rsa.RSAPrivateKey)


__all__ = ["IssuerKey", "b64url", "compact_jws", "generate_private_key", "public_jwk", "sign", "thumbprint"]
