"""Sender-constrained tokens for tests: a client's DPoP key (RFC 9449) and client certificate (RFC 8705)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jwks_auth.conf.settings import jwks_settings
from jwks_auth.testing.jose import b64url, compact_jws, generate_private_key, public_jwk, thumbprint


class TokenSource(Protocol):
    """What mints the bound tokens: a ``FakeIssuer``."""

    def token(self, scopes: Iterable[str] | str | None = None, **claims: Any) -> str: ...


#: Where Django's test clients say a request went; a path given to ``headers`` is taken as under it.
TEST_ORIGIN = "http://testserver"


class DPoPKey:
    """A client's DPoP key pair: tokens bound to it (``cnf.jkt``) and fresh proofs for each request."""

    def __init__(self, issuer: TokenSource, alg: str = "ES256") -> None:
        self.issuer = issuer
        self.alg = alg
        self.private_key = generate_private_key(alg)
        self.jwk = public_jwk(self.private_key)
        self.jkt = thumbprint(self.jwk)

    def token(self, scopes: Iterable[str] | str | None = None, **claims: Any) -> str:
        """A token of the issuer bound to this key (``cnf: {"jkt": ...}``)."""
        return self.issuer.token(scopes, **{"cnf": {"jkt": self.jkt}, **claims})

    def proof(self, method: str, url: str, token: str | None = None, nonce: str | None = None, **claims: Any) -> str:
        """A new proof (a fresh ``jti``) for ``method url``, bound to ``token`` (``ath``) when given."""
        body: dict[str, Any] = {"jti": uuid.uuid4().hex, "htm": method.upper(), "htu": _absolute(url)}
        body["iat"] = int(time.time())
        if token is not None:
            body["ath"] = b64url(hashlib.sha256(token.encode("ascii")).digest())
        if nonce is not None:
            body["nonce"] = nonce
        body.update(claims)
        header = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.jwk}
        return compact_jws(header, {k: v for k, v in body.items() if v is not None}, self.private_key)

    def headers(self, method: str, url: str, token: str, nonce: str | None = None) -> dict[str, str]:
        """``Authorization: DPoP <token>`` and a fresh ``DPoP`` proof: pass as a test client's ``headers=``.

        ``url`` is the URL the server sees (a path is taken as under ``http://testserver``); ``nonce``
        the last ``DPoP-Nonce`` the server sent, when it asks for one.
        """
        return {"Authorization": f"DPoP {token}", "DPoP": self.proof(method, url, token, nonce)}


def _absolute(url: str) -> str:
    return TEST_ORIGIN + url if url.startswith("/") else url


class ClientCertificate:
    """A client's TLS certificate (self-signed, EC P-256), as a front proxy that ended TLS forwards it.

    The project's settings say how: ``PROXY["CLIENT_CERT_HEADER"]`` and ``PROXY["CLIENT_CERT_FORMAT"]``, and the
    proxy's address (the test client's ``127.0.0.1``) in ``PROXY["ADDRESSES"]``.
    """

    def __init__(self, issuer: TokenSource, common_name: str = "test-client") -> None:
        self.issuer = issuer
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        self.der = self.certificate.public_bytes(serialization.Encoding.DER)
        self.x5t_s256 = b64url(hashlib.sha256(self.der).digest())

    def token(self, scopes: Iterable[str] | str | None = None, **claims: Any) -> str:
        """A token of the issuer bound to this certificate (``cnf: {"x5t#S256": ...}``)."""
        return self.issuer.token(scopes, **{"cnf": {"x5t#S256": self.x5t_s256}, **claims})

    def header_value(self, fmt: str | None = None) -> str:
        """The certificate in ``PROXY["CLIENT_CERT_FORMAT"]`` (or ``fmt``)."""
        fmt = fmt or str(jwks_settings.PROXY["CLIENT_CERT_FORMAT"])
        pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        if fmt == "escaped-pem":
            return quote(pem, safe="")
        if fmt == "xfcc":
            return f'Hash={hashlib.sha256(self.der).hexdigest()};Cert="{quote(pem, safe="")}"'
        if fmt == "rfc9440":
            return ":" + base64.b64encode(self.der).decode("ascii") + ":"
        if fmt == "base64-der":
            return base64.b64encode(self.der).decode("ascii")
        raise ValueError(f"unknown PROXY['CLIENT_CERT_FORMAT'] {fmt!r}")

    def headers(self, token: str, header: str | None = None) -> dict[str, str]:
        """``Authorization: Bearer <token>`` and the certificate header the trusted proxy adds."""
        name = header or jwks_settings.PROXY["CLIENT_CERT_HEADER"]
        if not name:
            raise ValueError("JWKS_AUTH['PROXY']['CLIENT_CERT_HEADER'] is not set: name the header the proxy sends")
        return {"Authorization": f"Bearer {token}", str(name): self.header_value()}


__all__ = ["ClientCertificate", "DPoPKey", "TokenSource"]
