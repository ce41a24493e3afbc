"""The client certificate a TLS-terminating proxy forwards, and its RFC 8705 thumbprint.

Only from ``PROXY["CLIENT_CERT_HEADER"]`` and only when the request came from one of
``PROXY["ADDRESSES"]`` (the proxy must also strip any copy a client sent).
Formats (``PROXY["CLIENT_CERT_FORMAT"]``):

* ``escaped-pem``: nginx ``$ssl_client_escaped_cert``, Kong: URL-encoded PEM;
* ``xfcc``: Envoy ``x-forwarded-client-cert``, ``Cert="<URL-encoded PEM>"`` of the one element that has a ``Cert``;
* ``rfc9440``: ``Client-Cert: :<base64 DER>:`` (a structured-field byte sequence);
* ``base64-der``: IIS ARR ``X-ARR-ClientCert``, Traefik ``X-Forwarded-Tls-Client-Cert`` (URL-encoded or not),
  HAProxy ``%[ssl_c_der,base64]``.

Exactly one certificate, in every format: a header sent twice reaches Django
as one value joined by a comma (no format's certificate holds one), and a
value may hold two PEM blocks or two XFCC ``Cert`` keys. Either means a proxy
appended its header to the client's instead of replacing it, and the first
or last certificate could be the client's choice: refused, never guessed.
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
from jwks_auth.reasons import Reason
from jwks_auth.sender.errors import BindingError
from jwks_auth.sender.request_details import RequestDetails
from jwks_auth.sender.settings import DPoPSettings

MAX_HEADER_LENGTH = 32768
_PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
#: One PEM block and nothing else but whitespace around it.
_PEM = re.compile(r"\s*-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*")
# Envoy's grammar: key=value, a value with , ; = or " double-quoted, a quote inside escaped as \".
_XFCC_PAIR = re.compile(r'([A-Za-z]+)=("(?:[^"\\]|\\.)*"|[^;,="]*)')
#: XFCC keys an element holds at most once (URI, DNS and By may repeat: one per SAN).
_XFCC_SINGLE = frozenset({"cert", "chain", "hash", "subject"})


class CertificateUnreadable(ValueError):
    """The header is present but holds no certificate in the configured format."""


class CertificateRepeated(CertificateUnreadable):
    """The header holds more than one certificate: sent twice, or two in one value."""


def _from_pem(text: str) -> x509.Certificate:
    if text.count(_PEM_BEGIN) > 1:
        raise CertificateRepeated("more than one PEM certificate")
    match = _PEM.fullmatch(text)
    if match is None:
        raise CertificateUnreadable("not one PEM certificate")
    return _from_base64_der("".join(match.group(1).split()))


def _from_base64_der(text: str) -> x509.Certificate:
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError) as exc:
        raise CertificateUnreadable("not a DER certificate") from exc


def _xfcc_elements(value: str) -> list[dict[str, str]]:
    """Envoy's elements: ``,`` between elements and ``;`` between pairs, outside quotes; exactly its grammar."""
    elements: list[dict[str, str]] = [{}]
    pos = 0
    while True:
        match = _XFCC_PAIR.match(value, pos)
        if match is None:
            raise CertificateUnreadable("malformed x-forwarded-client-cert")
        key, raw = match.group(1).lower(), match.group(2)
        element = elements[-1]
        if key in element and key in _XFCC_SINGLE:
            raise CertificateRepeated("x-forwarded-client-cert element with a repeated key")
        element[key] = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
        pos = match.end()
        if pos == len(value):
            return elements
        if value[pos] == ",":
            elements.append({})
            pos += 1
            while pos < len(value) and value[pos] in " \t":  # lines joined by the server: ", "
                pos += 1
        elif value[pos] == ";":
            pos += 1
        else:
            raise CertificateUnreadable("malformed x-forwarded-client-cert")


def parse_certificate_header(value: str, fmt: str) -> x509.Certificate:
    """The certificate in one header value of format ``fmt``; ``CertificateUnreadable`` otherwise."""
    if len(value) > MAX_HEADER_LENGTH:
        raise CertificateUnreadable("certificate header too large")
    value = value.strip()
    if fmt == "xfcc":
        # Elements are comma-separated: one per proxy, and at most one of them may carry a certificate.
        certs = [element["cert"] for element in _xfcc_elements(value) if "cert" in element]
        if len(certs) > 1:
            raise CertificateRepeated("more than one Cert in x-forwarded-client-cert")
        if not certs or not certs[0]:
            raise CertificateUnreadable("x-forwarded-client-cert has no Cert")
        return _from_pem(unquote(certs[0]))
    if "," in value:
        # No certificate of these formats holds a comma: the header was sent more than once.
        raise CertificateRepeated("certificate header sent more than once")
    if fmt == "escaped-pem":
        return _from_pem(unquote(value))
    if fmt == "rfc9440":
        if len(value) < 2 or value[0] != ":" or value[-1] != ":":
            raise CertificateUnreadable("Client-Cert is not a byte sequence")
        return _from_base64_der(value[1:-1])
    if fmt == "base64-der":
        text = unquote(value)
        return _from_pem(text) if "-----BEGIN" in text else _from_base64_der(text)
    raise CertificateUnreadable("unknown certificate header format")


def client_certificate(facts: RequestDetails, settings: DPoPSettings) -> x509.Certificate | None:
    """The forwarded client certificate; ``None`` without a trusted, readable one.

    ``BindingError`` when the header holds more than one: refused with its own
    fixed description, whichever certificate the token names.
    """
    if not settings.cert_header or not settings.is_trusted_proxy(facts.remote_addr):
        return None
    values = facts.header(settings.cert_header)
    if not values or not any(value.strip() for value in values):
        return None
    try:
        if len(values) != 1:
            raise CertificateRepeated("certificate header sent more than once")
        return parse_certificate_header(values[0], settings.cert_format)
    except CertificateRepeated:
        raise BindingError("more than one client certificate", code=Reason.CERTIFICATE) from None
    except CertificateUnreadable:
        return None


def certificate_thumbprint(certificate: x509.Certificate) -> str:
    """``x5t#S256``: base64url(SHA-256(DER)) (RFC 8705 3.1)."""
    return b64url_encode(hashlib.sha256(certificate.public_bytes(Encoding.DER)).digest())
