"""DPoP proofs signed with real keys, and client certificates as front proxies forward them."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support.keys import SigningKey, b64url, self_signed_certificate
from tests.support.tokens import mint


def ath(token: str) -> str:
    return b64url(hashlib.sha256(token.encode("ascii")).digest())


def proof_jwk(key: SigningKey) -> dict[str, Any]:
    """The public JWK a client puts in its proof header: no kid, use or alg."""
    jwk = key.public_jwk(include_alg=False, include_use=False)
    jwk.pop("kid", None)
    return jwk


def thumbprint(key: SigningKey) -> str:
    """RFC 7638, computed here independently of jwks_auth."""
    import json

    jwk = proof_jwk(key)
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def make_proof(
    key: SigningKey,
    method: str,
    url: str,
    *,
    token: str | None = None,
    alg: str | None = None,
    header: Any = None,
    jwk: Any = None,
    typ: str | None = "dpop+jwt",
    iat: float | None = None,
    jti: str | None = None,
    nonce: str | None = None,
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    """A proof for ``method url``; every part can be changed or dropped (``drop``)."""
    body: dict[str, Any] = {
        "jti": uuid.uuid4().hex if jti is None else jti,
        "htm": method,
        "htu": url,
        "iat": int(time.time()) if iat is None else iat,
    }
    if token is not None:
        body["ath"] = ath(token)
    if nonce is not None:
        body["nonce"] = nonce
    body.update(claims)
    for name in drop:
        body.pop(name, None)
    if header is None:
        header = {"alg": alg or key.alg, "jwk": proof_jwk(key) if jwk is None else jwk}
        if typ is not None:
            header["typ"] = typ
    return mint(key, body, header=header, alg=alg or key.alg)


def client_certificate(common_name: str = "client") -> tuple[SigningKey, x509.Certificate]:
    key = SigningKey.ec(kid=common_name)
    return key, self_signed_certificate(key.private_key, common_name)


def cert_thumbprint(certificate: x509.Certificate) -> str:
    return b64url(hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest())


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def nginx_header(certificate: x509.Certificate) -> str:
    """``$ssl_client_escaped_cert``: the PEM, URL-encoded."""
    return quote(pem(certificate), safe="")


def envoy_header(certificate: x509.Certificate) -> str:
    """``x-forwarded-client-cert`` as Envoy sets it (SANITIZE_SET with Cert and Subject)."""
    digest = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    return (
        f'By=spiffe://cluster.local/ns/default/sa/api;Hash={digest};Cert="{quote(pem(certificate), safe="")}";'
        f'Subject="CN=client";URI=;DNS=client.example'
    )


def der_b64(certificate: x509.Certificate) -> str:
    """The DER in base64: HAProxy's ``%[ssl_c_der,base64]``, IIS ARR's ``X-ARR-ClientCert``."""
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")


def rfc9440_header(certificate: x509.Certificate) -> str:
    return ":" + base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii") + ":"
