"""The client certificate a TLS-terminating proxy forwards, and its RFC 8705 thumbprint.

Only from ``CLIENT_CERT_HEADER`` and only when the request came from one of
``TRUSTED_PROXIES`` (the proxy must also strip any copy a client sent).
Formats (``CLIENT_CERT_FORMAT``):

* ``escaped-pem``: nginx ``$ssl_client_escaped_cert``, Kong: URL-encoded PEM;
* ``xfcc``: Envoy ``x-forwarded-client-cert``, ``Cert="<URL-encoded PEM>"`` of the last element;
* ``rfc9440``: ``Client-Cert: :<base64 DER>:`` (a structured-field byte sequence);
* ``base64-der``: IIS ARR ``X-ARR-ClientCert``, Traefik ``X-Forwarded-Tls-Client-Cert`` (URL-encoded or not).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jwks_auth.keys.material import b64url_encode
from jwks_auth.sender.request_details import RequestDetails
from jwks_auth.sender.settings import DPoPSettings

MAX_HEADER_LENGTH = 32768
_XFCC_PAIR = re.compile(r'\s*([A-Za-z]+)=("(?:[^"\\]|\\.)*"|[^;,]*)\s*')
_PEM_BODY = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)


class CertificateUnreadable(ValueError):
    """The header is present but holds no certificate in the configured format."""


def _from_pem(text: str) -> x509.Certificate:
    match = _PEM_BODY.search(text)
    if match is None:
        raise CertificateUnreadable("no PEM certificate")
    return _from_base64_der("".join(match.group(1).split()))


def _from_base64_der(text: str) -> x509.Certificate:
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError) as exc:
        raise CertificateUnreadable("not a DER certificate") from exc


def _xfcc_elements(value: str) -> list[dict[str, str]]:
    """Envoy's elements: ``,`` between elements and ``;`` between pairs, outside quotes."""
    elements: list[dict[str, str]] = [{}]
    pos = 0
    while pos < len(value):
        match = _XFCC_PAIR.match(value, pos)
        if match is None or match.end() == pos:
            raise CertificateUnreadable("malformed x-forwarded-client-cert")
        raw = match.group(2)
        elements[-1][match.group(1).lower()] = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
        pos = match.end()
        if pos < len(value):
            if value[pos] == ",":
                elements.append({})
            elif value[pos] != ";":
                raise CertificateUnreadable("malformed x-forwarded-client-cert")
            pos += 1
    return elements


def parse_certificate_header(value: str, fmt: str) -> x509.Certificate:
    """The certificate in one header value of format ``fmt``; ``CertificateUnreadable`` otherwise."""
    if len(value) > MAX_HEADER_LENGTH:
        raise CertificateUnreadable("certificate header too large")
    value = value.strip()
    if fmt == "escaped-pem":
        return _from_pem(unquote(value))
    if fmt == "xfcc":
        cert = _xfcc_elements(value)[-1].get("cert")
        if not cert:
            raise CertificateUnreadable("x-forwarded-client-cert has no Cert")
        return _from_pem(unquote(cert))
    if fmt == "rfc9440":
        if len(value) < 2 or value[0] != ":" or value[-1] != ":":
            raise CertificateUnreadable("Client-Cert is not a byte sequence")
        return _from_base64_der(value[1:-1])
    if fmt == "base64-der":
        text = unquote(value)
        return _from_pem(text) if "-----BEGIN" in text else _from_base64_der(text)
    raise CertificateUnreadable("unknown certificate header format")


def client_certificate(facts: RequestDetails, settings: DPoPSettings) -> x509.Certificate | None:
    """The forwarded client certificate; ``None`` without a trusted, single, readable one."""
    if not settings.cert_header or not settings.is_trusted_proxy(facts.remote_addr):
        return None
    values = facts.header(settings.cert_header)
    if len(values) != 1 or not values[0].strip():
        return None
    try:
        return parse_certificate_header(values[0], settings.cert_format)
    except CertificateUnreadable:
        return None


def certificate_thumbprint(certificate: x509.Certificate) -> str:
    """``x5t#S256``: base64url(SHA-256(DER)) (RFC 8705 3.1)."""
    return b64url_encode(hashlib.sha256(certificate.public_bytes(Encoding.DER)).digest())
