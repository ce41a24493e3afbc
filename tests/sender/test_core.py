"""The framework-neutral DPoP parts: thumbprints, proofs, URLs, nonces, replay and certificates."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from jwks_auth.sender import ProofError, RequestDetails, jwk_thumbprint
from jwks_auth.sender.certificates import (
    CertificateRepeated,
    CertificateUnreadable,
    certificate_thumbprint,
    parse_certificate_header,
)
from jwks_auth.sender.errors import NonceRequired, ReplayUnavailable
from jwks_auth.sender.htu import normalise_url
from jwks_auth.sender.nonce import NonceSource
from jwks_auth.sender.origin import expected_urls
from jwks_auth.sender.proof import ProofVerifier
from jwks_auth.sender.replay import ReplayGuard
from jwks_auth.sender.settings import DPoPSettings
from jwks_auth.utils.shared_cache import SharedCache
from tests.support import dpop
from tests.support.keys import SigningKey
from tests.support.loopback import free_port

# RFC 7638 3.1: the example key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n"
    "3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHz"
    "u6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8aw"
    "apJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
URL = "https://api.example.com/me"


def facts(
    method: str = "GET",
    scheme: str = "https",
    host: str = "api.example.com",
    path: str = "/me",
    remote: str = "203.0.113.9",
    **headers: str,
) -> RequestDetails:
    return RequestDetails(
        method,
        scheme,
        host,
        path,
        remote,
        {name.replace("_", "-").lower(): (value,) for name, value in headers.items()},
    )


@pytest.fixture
def verifier() -> ProofVerifier:
    settings = DPoPSettings(algorithms=frozenset({"ES256", "PS256", "EdDSA", "Ed25519", "RS256"}))
    return ProofVerifier(settings, ReplayGuard(SharedCache("default"), "t"), NonceSource(b"k" * 32))


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {"ec": SigningKey.ec(), "rsa": SigningKey.rsa(alg="PS256"), "ed": SigningKey.ed25519()}


def test_rfc7638_example_thumbprint() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT
    # Members beyond the required ones and their order do not change it.
    assert jwk_thumbprint({"e": "AQAB", "n": RFC7638_JWK["n"], "kty": "RSA", "use": "sig"}) == RFC7638_THUMBPRINT


@pytest.mark.parametrize("kind", ["ec", "rsa", "ed"])
def test_thumbprint_agrees_with_an_independent_computation(keys: dict[str, SigningKey], kind: str) -> None:
    assert jwk_thumbprint(dpop.proof_jwk(keys[kind])) == dpop.thumbprint(keys[kind])


@pytest.mark.parametrize("kind", ["ec", "rsa", "ed"])
def test_valid_proof_with_each_key_type(verifier: ProofVerifier, keys: dict[str, SigningKey], kind: str) -> None:
    key = keys[kind]
    proof = dpop.make_proof(key, "GET", URL, token="tok")
    result = verifier.verify(proof, facts(), access_token="tok")
    assert result.thumbprint == dpop.thumbprint(key) and result.htu == URL


def test_a_proof_is_accepted_once(verifier: ProofVerifier, keys: dict[str, SigningKey]) -> None:
    proof = dpop.make_proof(keys["ec"], "GET", URL, token="tok")
    verifier.verify(proof, facts(), access_token="tok")
    with pytest.raises(ProofError, match="replayed"):
        verifier.verify(proof, facts(), access_token="tok")


def test_replay_store_down_refuses_with_503_error(keys: dict[str, SigningKey], settings: Any) -> None:
    """A Redis nobody listens on: the replay store cannot answer, so the proof is refused with 503, not accepted."""
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    verifier = ProofVerifier(DPoPSettings(), ReplayGuard(SharedCache("down"), "t"), None)
    with pytest.raises(ReplayUnavailable):
        verifier.verify(dpop.make_proof(keys["ec"], "GET", URL, token="tok"), facts(), access_token="tok")


def _refused(
    verifier: ProofVerifier, proof: str, request: RequestDetails | None = None, token: str = "tok", **kwargs: Any
) -> str:
    with pytest.raises(ProofError) as info:
        verifier.verify(proof, request or facts(), access_token=token, **kwargs)
    return info.value.code


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"typ": None}, "dpop_typ"),
        ({"typ": "JWT"}, "dpop_typ"),
        ({"htm": "POST"}, "dpop_htm"),
        ({"htu": "https://api.example.com/other"}, "dpop_htu"),
        ({"htu": "https://api.example.com/me/"}, "dpop_htu"),
        ({"htu": "https://evil.example.com/me"}, "dpop_htu"),
        ({"htu": "http://api.example.com/me"}, "dpop_htu"),
        ({"htu": "https://user@api.example.com/me"}, "dpop_htu"),
        ({"iat_offset": -61}, "dpop_iat"),
        ({"iat_offset": 30}, "dpop_iat"),
        ({"iat": "now"}, "dpop_iat"),
        ({"jti": "x" * 257}, "dpop_jti"),
        ({"jti": ""}, "dpop_jti"),
        ({"drop": ("jti",)}, "dpop_jti"),
        ({"drop": ("ath",)}, "dpop_ath"),
        ({"ath": dpop.ath("another token")}, "dpop_ath"),
    ],
)
def test_claim_and_header_refusals(
    verifier: ProofVerifier, keys: dict[str, SigningKey], changes: dict[str, Any], code: str
) -> None:
    changes = dict(changes)  # parameters are shared between runs; times are taken now, not at collection
    if "iat_offset" in changes:
        changes["iat"] = time.time() + changes.pop("iat_offset")
    assert (
        _refused(
            verifier,
            dpop.make_proof(keys["ec"], changes.pop("htm", "GET"), changes.pop("htu", URL), token="tok", **changes),
        )
        == code
    )


@pytest.mark.parametrize(
    "htu",
    [
        "HTTPS://API.EXAMPLE.COM/me",
        "https://api.example.com:443/me",
        "https://api.example.com/me?x=1",
        "https://api.example.com/me#frag",
        "https://api.example.com/./me",
        "https://api.example.com/%6De",
    ],
)
def test_htu_equivalent_forms_are_accepted(verifier: ProofVerifier, keys: dict[str, SigningKey], htu: str) -> None:
    verifier.verify(dpop.make_proof(keys["ec"], "GET", htu, token="tok"), facts(), access_token="tok")


def test_path_case_matters(verifier: ProofVerifier, keys: dict[str, SigningKey]) -> None:
    proof = dpop.make_proof(keys["ec"], "GET", "https://api.example.com/ME", token="tok")
    assert _refused(verifier, proof) == "dpop_htu"


def test_private_key_in_jwk_is_refused(verifier: ProofVerifier, keys: dict[str, SigningKey]) -> None:
    key = keys["ec"]
    jwk = dpop.proof_jwk(key)
    jwk["d"] = "AAAA"
    assert _refused(verifier, dpop.make_proof(key, "GET", URL, token="tok", jwk=jwk)) == "dpop_jwk"


def test_key_type_must_match_alg(verifier: ProofVerifier, keys: dict[str, SigningKey]) -> None:
    # An EC key named in an RSA-signed proof, and an RSA proof claiming ES256.
    header = {"typ": "dpop+jwt", "alg": "PS256", "jwk": dpop.proof_jwk(keys["ec"])}
    proof = dpop.make_proof(keys["rsa"], "GET", URL, token="tok", header=header, alg="PS256")
    assert _refused(verifier, proof) == "dpop_jwk"


def test_signature_by_another_key_is_refused(verifier: ProofVerifier, keys: dict[str, SigningKey]) -> None:
    other = SigningKey.ec()
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop.proof_jwk(keys["ec"])}
    assert _refused(verifier, dpop.make_proof(other, "GET", URL, token="tok", header=header)) == "dpop_signature"


def test_small_rsa_key_is_refused_as_for_jwks(verifier: ProofVerifier) -> None:
    small = SigningKey.rsa(bits=1024, alg="PS256")
    assert _refused(verifier, dpop.make_proof(small, "GET", URL, token="tok")) == "dpop_jwk"


def test_rs256_only_when_configured(keys: dict[str, SigningKey]) -> None:
    rsa = SigningKey.rsa(alg="RS256")
    default = ProofVerifier(DPoPSettings(), None, None)
    assert _refused(default, dpop.make_proof(rsa, "GET", URL, token="tok")) == "dpop_alg"


@pytest.mark.parametrize(
    "header",
    [
        {"typ": "dpop+jwt", "alg": "none"},
        {"typ": "dpop+jwt", "alg": "HS256"},
    ],
)
def test_none_and_hmac_are_refused(
    verifier: ProofVerifier, keys: dict[str, SigningKey], header: dict[str, Any]
) -> None:
    header["jwk"] = dpop.proof_jwk(keys["ec"])
    proof = dpop.make_proof(keys["ec"], "GET", URL, token="tok", header=header, alg="ES256")
    assert _refused(verifier, proof) == "dpop_alg"


@pytest.mark.parametrize("proof", ["", "a.b", "a.b.c", "x" * 9000, "e30.e30.", "..."])
def test_malformed_proofs(verifier: ProofVerifier, proof: str) -> None:
    assert _refused(verifier, proof).startswith("dpop_")


def test_nonce(keys: dict[str, SigningKey]) -> None:
    nonces = NonceSource(b"n" * 32, step=60)
    verifier = ProofVerifier(DPoPSettings(), None, nonces)
    now = time.time()
    with pytest.raises(NonceRequired):
        verifier.verify(
            dpop.make_proof(keys["ec"], "GET", URL, token="t"), facts(), access_token="t", nonce_required=True
        )
    verifier.verify(
        dpop.make_proof(keys["ec"], "GET", URL, token="t", nonce=nonces.current()),
        facts(),
        access_token="t",
        nonce_required=True,
    )
    old = nonces.current(now - 125)
    forged = NonceSource(b"m" * 32).current()
    for bad in (old, forged, "garbage", nonces.current()[:-2] + "AA"):
        with pytest.raises(NonceRequired):
            verifier.verify(
                dpop.make_proof(keys["ec"], "GET", URL, token="t", nonce=bad),
                facts(),
                access_token="t",
                nonce_required=True,
            )


def test_nonce_rotates_without_state() -> None:
    nonces = NonceSource(b"n" * 32, step=60)
    first = nonces.current(600.0)
    assert nonces.valid(first, 659.0) and nonces.valid(first, 719.0) and not nonces.valid(first, 720.0)
    assert nonces.current(660.0) != first
    assert NonceSource(b"n" * 32, step=60).valid(first, 630.0)  # another worker, same key


class TestOrigins:
    proxy = DPoPSettings(trusted_proxies=(__import__("ipaddress").ip_network("10.0.0.0/8"),))
    rfc7239_proxy = replace(proxy, forwarded_headers=frozenset({"forwarded"}))

    def test_direct(self) -> None:
        assert expected_urls(facts(), DPoPSettings()) == (URL,)

    def test_forwarded_headers_from_a_trusted_proxy(self) -> None:
        request = facts(
            scheme="http",
            host="api:8000",
            remote="10.1.2.3",
            x_forwarded_proto="https",
            x_forwarded_host="api.example.com",
        )
        assert expected_urls(request, self.proxy) == (URL,)
        request = facts(
            scheme="http",
            host="api:8000",
            remote="10.1.2.3",
            forwarded='for=1.2.3.4;proto=http;host=evil, for=10.0.0.1;proto=https;host="api.example.com"',
        )
        assert expected_urls(request, self.rfc7239_proxy) == (URL,)
        # Not named in PROXY["FORWARDED_HEADERS"]: a header the proxy passed on from the client.
        assert expected_urls(request, self.proxy) == ("http://api:8000/me",)

    def test_forwarded_headers_from_anyone_else_are_ignored(self) -> None:
        request = facts(
            scheme="http",
            host="api:8000",
            remote="203.0.113.5",
            x_forwarded_proto="https",
            x_forwarded_host="api.example.com",
        )
        assert expected_urls(request, self.proxy) == ("http://api:8000/me",)

    def test_malformed_forwarded_matches_nothing(self) -> None:
        request = facts(remote="10.1.2.3", forwarded='proto=https;host="unterminated')
        assert expected_urls(request, self.rfc7239_proxy) == ()

    def test_public_origins_with_a_path_prefix(self) -> None:
        settings = DPoPSettings(public_origins=("https://api.example.com/v1", "https://alt.example.com"))
        assert expected_urls(facts(host="internal"), settings) == (
            "https://api.example.com/v1/me",
            "https://alt.example.com/me",
        )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443", "https://example.com/"),
        ("http://example.com:80/a/../b", "http://example.com/b"),
        ("http://example.com:8080/a?b#c", "http://example.com:8080/a"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
        ("ftp://example.com/", None),
        ("https://example.com:99999/", None),
        ("https:///nohost", None),
        (42, None),
    ],
)
def test_normalise_url(url: Any, expected: str | None) -> None:
    assert normalise_url(url) == expected


class TestCertificates:
    def test_formats(self) -> None:
        _, cert = dpop.client_certificate()
        expected = dpop.cert_thumbprint(cert)
        for fmt, value in (
            ("escaped-pem", dpop.nginx_header(cert)),
            ("xfcc", dpop.envoy_header(cert)),
            ("rfc9440", dpop.rfc9440_header(cert)),
            ("base64-der", dpop.rfc9440_header(cert)[1:-1]),
        ):
            assert certificate_thumbprint(parse_certificate_header(value, fmt)) == expected, fmt

    def test_xfcc_with_two_certificates_is_refused(self) -> None:
        """Two elements with a Cert: a proxy appended to the client's header; neither is taken."""
        _, first = dpop.client_certificate("first")
        _, last = dpop.client_certificate("last")
        value = dpop.envoy_header(first) + "," + dpop.envoy_header(last)
        with pytest.raises(CertificateRepeated):
            parse_certificate_header(value, "xfcc")
        # One element with a certificate and another hop's without one: the one certificate.
        value = "By=spiffe://a;Hash=00," + dpop.envoy_header(last)
        assert certificate_thumbprint(parse_certificate_header(value, "xfcc")) == dpop.cert_thumbprint(last)

    @pytest.mark.parametrize(
        ("fmt", "value"),
        [
            ("escaped-pem", "garbage"),
            ("xfcc", "By=x;Hash=y"),
            ("xfcc", 'Cert="unterminated'),
            ("rfc9440", "AAAA"),
            ("rfc9440", ":!!:"),
            ("base64-der", "AAAA"),
            ("escaped-pem", "x" * 40000),
        ],
    )
    def test_unreadable(self, fmt: str, value: str) -> None:
        with pytest.raises(CertificateUnreadable):
            parse_certificate_header(value, fmt)
