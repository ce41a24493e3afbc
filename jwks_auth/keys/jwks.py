"""Public keys from a JWKS, filtered to those safe to verify with.

A key is skipped (with a reason, for ``jwks_inspect`` and the logs) when it
carries private members, is symmetric, is not for signatures, is a short,
malformed or ROCA-fingerprinted RSA key, an EC point off its curve or not
reduced, a small-order or non-canonical Ed25519 point (``key_checks``), when
its ``alg``, ``kty``, ``crv`` or certificate disagree, or when anything else
about it cannot be parsed. Two different keys under one ``kid`` and key type
are ambiguous and neither is used.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from jwks_auth.keys.material import (
    KeyRejected,
    b64url_decode,
    b64url_encode,
    check_ec_point,
    check_ed25519_point,
    has_roca_fingerprint,
    minimal_uint,
)
from jwks_auth.utils.algorithms import ASYMMETRIC_ALGORITHMS, EDDSA_NAMES

logger = logging.getLogger("jwks_auth.keys.jwks")

MIN_RSA_BITS = 2048
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_CURVES: dict[str, tuple[type[ec.EllipticCurve], int, str]] = {
    "P-256": (ec.SECP256R1, 32, "ES256"),
    "P-384": (ec.SECP384R1, 48, "ES384"),
    "P-521": (ec.SECP521R1, 66, "ES512"),
}
_SHA = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
# Built once: both hold only the algorithm, and every verification would otherwise build its own.
_ECDSA = {bits: ec.ECDSA(digest) for bits, digest in _SHA.items()}
_PKCS1V15 = padding.PKCS1v15()


def _family(alg: str) -> str:
    return "EC" if alg.startswith("ES") else ("OKP" if alg in EDDSA_NAMES else "RSA")


def same_algorithm(first: str, second: str) -> bool:
    """One algorithm, allowing for its two EdDSA names."""
    return first == second or (first in EDDSA_NAMES and second in EDDSA_NAMES)


def algorithm_allowed(alg: str, allowed: frozenset[str]) -> bool:
    """``alg`` is verifiable and in ``allowed`` (an issuer's ALGORITHMS), under either EdDSA name."""
    if alg not in ASYMMETRIC_ALGORITHMS:
        return False
    return alg in allowed or (alg in EDDSA_NAMES and not EDDSA_NAMES.isdisjoint(allowed))


@dataclass(frozen=True, eq=False)
class VerificationKey:
    """One usable public key and how to verify a signature with it."""

    kid: str
    kty: str
    key: Any
    alg: str | None = None
    crv: str | None = None
    size: int = 0
    thumbprint: str = ""
    x5t: str | None = None
    certificate: x509.Certificate | None = field(default=None, repr=False)

    def accepts(self, alg: str) -> bool:
        if alg not in ASYMMETRIC_ALGORITHMS or _family(alg) != self.kty:
            return False
        if self.alg is not None and not same_algorithm(self.alg, alg):
            return False
        if self.kty == "EC":
            return _CURVES[self.crv or ""][2] == alg
        return True

    def verify(self, alg: str, signing_input: bytes, signature: bytes) -> bool:
        """True when ``signature`` is valid; never raises for bad input."""
        try:
            _VERIFIERS[alg[:2]](self, alg, signing_input, signature)
        except (_CryptoInvalidSignature, ValueError, KeyError, TypeError):
            return False
        return True


def _verify_rsa(key: VerificationKey, alg: str, data: bytes, sig: bytes) -> None:
    # An RSA signature is exactly as long as the modulus; one byte short or
    # long is refused here rather than left to the library's leniency.
    if len(sig) != (key.size + 7) // 8:
        raise ValueError("RSA signature length")
    digest = _SHA[alg[2:]]
    pad = _PKCS1V15 if alg[0] == "R" else padding.PSS(padding.MGF1(digest), digest.digest_size)
    key.key.verify(sig, data, pad, digest)


def _verify_ec(key: VerificationKey, alg: str, data: bytes, sig: bytes) -> None:
    size = _CURVES[key.crv or ""][1]
    if len(sig) != 2 * size:
        raise ValueError("ECDSA signature length")
    r, s = int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big")
    # The "psychic signature" (r = s = 0) and out-of-range values are refused
    # before they reach OpenSSL.
    order = _ORDERS[key.crv or ""]
    if not (0 < r < order and 0 < s < order):
        raise ValueError("ECDSA signature out of range")
    key.key.verify(encode_dss_signature(r, s), data, _ECDSA[alg[2:]])


def _verify_eddsa(key: VerificationKey, alg: str, data: bytes, sig: bytes) -> None:
    if len(sig) != 64:
        raise ValueError("EdDSA signature length")
    key.key.verify(sig, data)


_ORDERS = {
    "P-256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "P-384": int(
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973", 16
    ),
    "P-521": int(
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
        16,
    ),
}
_VERIFIERS: dict[str, Callable[[VerificationKey, str, bytes, bytes], None]] = {
    "RS": _verify_rsa,
    "PS": _verify_rsa,
    "ES": _verify_ec,
    "Ed": _verify_eddsa,
}


def _thumbprint(members: dict[str, str]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256)."""
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return b64url_encode(hashlib.sha256(canonical).digest())


def _short(value: Any) -> str:
    """A JWKS value for a reason string: repr, bounded (the JWKS is not trusted to be small)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_jwk(jwk: Any) -> VerificationKey:
    """Build a ``VerificationKey`` from one JWK, or raise ``KeyRejected``."""
    if not isinstance(jwk, dict):
        raise KeyRejected("not a JSON object")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 512:
        raise KeyRejected("missing or invalid kid")
    if PRIVATE_MEMBERS & jwk.keys():
        raise KeyRejected("contains private or symmetric key material")
    kty = jwk.get("kty")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise KeyRejected(f"use is {_short(use)}, not 'sig'")
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        raise KeyRejected("key_ops does not allow verify")
    alg = jwk.get("alg")
    if alg == "Ed448":
        raise KeyRejected("Ed448 keys are not supported")
    if alg is not None and (not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS):
        raise KeyRejected(f"alg {_short(alg)} is not an asymmetric signature algorithm")
    try:
        if kty == "RSA":
            key, crv, size, members = _rsa_key(jwk)
        elif kty == "EC":
            key, crv, size, members = _ec_key(jwk)
        elif kty == "OKP":
            key, crv, size, members = _okp_key(jwk)
        else:
            raise KeyRejected(f"unsupported kty {_short(kty)}")
    except KeyRejected:
        raise
    except (ValueError, TypeError) as exc:
        raise KeyRejected(f"invalid {kty} key: {exc}") from exc
    if alg is not None and _family(alg) != kty:
        raise KeyRejected(f"alg {alg} does not match kty {kty}")
    if alg is not None and kty == "EC" and crv is not None and _CURVES[crv][2] != alg:
        raise KeyRejected(f"alg {alg} does not match crv {crv}")
    certificate, x5t = _certificate(jwk, key)
    return VerificationKey(
        kid=kid,
        kty=kty,
        key=key,
        alg=alg,
        crv=crv,
        size=size,
        thumbprint=_thumbprint(members),
        x5t=x5t,
        certificate=certificate,
    )


def _rsa_key(jwk: dict[str, Any]) -> tuple[Any, None, int, dict[str, str]]:
    # The sign octet before n is tolerated: the Java BigInteger.toByteArray()
    # encoding published by Cloud Foundry UAA, ForgeRock AM/Wren:AM and the
    # Jenkins OIDC provider plugin (SECURITY.md). Never before e.
    n, n_raw = minimal_uint(jwk.get("n"), "modulus", sign_octet=True)
    e, e_raw = minimal_uint(jwk.get("e"), "exponent")
    if n.bit_length() < MIN_RSA_BITS:
        raise KeyRejected(f"RSA key of {n.bit_length()} bits is under {MIN_RSA_BITS}")
    if e < 3 or e % 2 == 0 or e >= n:
        raise KeyRejected("RSA public exponent is invalid")
    if has_roca_fingerprint(n):
        raise KeyRejected("RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key can be recovered")
    key = rsa.RSAPublicNumbers(e, n).public_key()
    # The thumbprint is over the minimal encodings (RFC 7638 3.2), so one key has one thumbprint.
    return key, None, n.bit_length(), {"e": b64url_encode(e_raw), "kty": "RSA", "n": b64url_encode(n_raw)}


def _ec_key(jwk: dict[str, Any]) -> tuple[Any, str, int, dict[str, str]]:
    crv = jwk.get("crv")
    if crv not in _CURVES:
        raise KeyRejected(f"unsupported EC curve {_short(crv)}")
    curve, size, _ = _CURVES[crv]
    x_raw, y_raw = b64url_decode(jwk.get("x")), b64url_decode(jwk.get("y"))
    if len(x_raw) != size or len(y_raw) != size:
        raise KeyRejected("EC coordinates have the wrong length")
    x, y = int.from_bytes(x_raw, "big"), int.from_bytes(y_raw, "big")
    # OpenSSL would reduce a coordinate >= p: the same point under a second
    # encoding and thumbprint. Checked here, not left to the library.
    check_ec_point(crv, x, y)
    curve_instance = curve()
    key = ec.EllipticCurvePublicNumbers(x, y, curve_instance).public_key()
    return key, crv, curve_instance.key_size, {"crv": crv, "kty": "EC", "x": jwk["x"], "y": jwk["y"]}


def _okp_key(jwk: dict[str, Any]) -> tuple[Any, str, int, dict[str, str]]:
    crv = jwk.get("crv")
    if crv == "Ed448":
        raise KeyRejected("Ed448 keys are not supported")
    if crv != "Ed25519":
        raise KeyRejected(f"unsupported OKP curve {_short(crv)}")
    raw = b64url_decode(jwk.get("x"))
    check_ed25519_point(raw)
    key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
    return key, "Ed25519", 256, {"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}


def _certificate(jwk: dict[str, Any], key: Any) -> tuple[x509.Certificate | None, str | None]:
    """Parse ``x5c[0]`` for display; refuse a key whose certificate or x5t disagree."""
    x5t = jwk.get("x5t")
    if x5t is not None and not isinstance(x5t, str):
        raise KeyRejected("x5t is not a string")
    chain = jwk.get("x5c")
    if chain is None:
        return None, x5t
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise KeyRejected("x5c is not a list of certificates")
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        der = base64.b64decode(chain[0], validate=True)
        certificate = x509.load_der_x509_certificate(der)
        cert_spki = certificate.public_key().public_bytes(*fmt)
    except Exception as exc:
        # Whatever cryptography raises (ValueError, UnsupportedAlgorithm for an
        # unknown curve, ...) concerns this entry only.
        raise KeyRejected(f"x5c certificate cannot be loaded ({type(exc).__name__})") from exc
    if cert_spki != key.public_bytes(*fmt):
        raise KeyRejected("x5c certificate holds a different key")
    if x5t is not None:
        expected = b64url_encode(hashlib.sha1(der).digest())
        if x5t != expected:
            raise KeyRejected("x5t does not match the x5c certificate")
    return certificate, x5t


@dataclass(frozen=True)
class KeySet:
    """The usable keys of one JWKS document, indexed by kid."""

    keys: tuple[VerificationKey, ...]
    rejected: tuple[tuple[str, str], ...] = ()
    _index: dict[str, tuple[VerificationKey, ...]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_document(cls, document: Any) -> KeySet:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWK Set: no 'keys' list")
        usable: list[VerificationKey] = []
        rejected: list[tuple[str, str]] = []
        for jwk in document["keys"]:
            kid = str(jwk.get("kid"))[:64] if isinstance(jwk, dict) else "?"
            try:
                usable.append(parse_jwk(jwk))
            except KeyRejected as exc:
                rejected.append((kid, str(exc)))
            except Exception as exc:
                # A parser fault on one odd entry (RecursionError, OverflowError,
                # a library's own exception) drops that entry, never the set.
                rejected.append((kid, f"cannot be parsed ({type(exc).__name__})"))
        index: dict[str, list[VerificationKey]] = {}
        for key in usable:
            same = index.setdefault(key.kid, [])
            if any(k.kty == key.kty and k.thumbprint == key.thumbprint and k.alg == key.alg for k in same):
                continue  # an exact repeat is harmless
            same.append(key)
        keys: list[VerificationKey] = []
        for kid, candidates in index.items():
            for kty in {k.kty for k in candidates}:
                group = [k for k in candidates if k.kty == kty]
                if len(group) > 1:
                    rejected.append((kid[:64], f"ambiguous: {len(group)} different {kty} keys share this kid"))
                else:
                    keys.append(group[0])
        for kid, reason in rejected:
            logger.warning("JWKS key %r skipped: %s", kid, reason)
        final: dict[str, tuple[VerificationKey, ...]] = {}
        for key in keys:
            final[key.kid] = final.get(key.kid, ()) + (key,)
        return cls(tuple(keys), tuple(rejected), final)

    def find(self, kid: str, alg: str) -> VerificationKey | None:
        for key in self._index.get(kid, ()):
            if key.accepts(alg):
                return key
        return None

    def __contains__(self, kid: object) -> bool:
        return kid in self._index

    def __len__(self) -> int:
        return len(self.keys)
