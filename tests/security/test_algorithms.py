"""Algorithms and signatures (RFC 8725 2.1, 2.2, 3.1, 3.2; CVE-2015-9235, CVE-2022-21449)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.keys import SigningKey, b64url, b64url_uint
from tests.support.tokens import access_claims, encode_segment, mint

pytestmark = pytest.mark.django_db(databases=[])

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def no_key_fetch(provider):
    def check(response):
        assert provider.jwks_hits == 0, "the key store was consulted for a token refused by its header"

    return check


def _parts(token: str) -> list[str]:
    return token.split(".")


def _with_signature(token: str, signature: bytes | str) -> str:
    head, payload, _ = _parts(token)
    return f"{head}.{payload}.{signature if isinstance(signature, str) else b64url(signature)}"


def _sig(token: str) -> bytes:
    part = _parts(token)[2]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# -- alg none ---------------------------------------------------------------------------
@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", "none ", " none", "none\x00"])
@pytest.mark.parametrize("signature", ["empty", "original", "garbage"])
def test_alg_none_in_any_case(judge, provider, signing_key, token, alg, signature):
    header = {"alg": alg, "kid": signing_key.kid, "typ": "at+jwt"}
    signing_input = f"{encode_segment(header)}.{_parts(token)[1]}"
    tail = {"empty": "", "original": _parts(token)[2], "garbage": "AAAA"}[signature]
    judge.token("WT", f"{signing_input}.{tail}", after=no_key_fetch(provider))


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_alg_none_or_hmac_even_when_misconfigured_in_the_allowlist(judge, jwks_config, provider, signing_key, alg):
    """ALGORITHMS is intersected with the asymmetric algorithms: "none" and HS* cannot be switched on."""
    jwks_config(ALGORITHMS=["RS256", "none", "HS256"])
    header = {"alg": alg, "kid": signing_key.kid, "typ": "at+jwt"}
    signing_input = f"{encode_segment(header)}.{encode_segment(access_claims(provider.issuer))}"
    mac = hmac.new(signing_key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    judge.token("WT", f"{signing_input}.{b64url(mac)}", after=no_key_fetch(provider))


# -- stripped, truncated, wrong-length signatures ---------------------------------------------
SIGNATURE_CHANGES = {
    "stripped": lambda t: "",
    "one character": lambda t: _parts(t)[2][:1],
    "last character dropped": lambda t: _parts(t)[2][:-1],
    "last four characters dropped": lambda t: _parts(t)[2][:-4],
    "half": lambda t: _parts(t)[2][: len(_parts(t)[2]) // 2],
    "one byte short (last)": lambda t: _sig(t)[:-1],
    "one byte short (first)": lambda t: _sig(t)[1:],
    "one byte long (zero appended)": lambda t: _sig(t) + b"\x00",
    "one byte long (zero prepended)": lambda t: b"\x00" + _sig(t),
    "doubled": lambda t: _sig(t) * 2,
    "all zeros": lambda t: b"\x00" * len(_sig(t)),
    "all ones": lambda t: b"\xff" * len(_sig(t)),
    "one": lambda t: (1).to_bytes(len(_sig(t)), "big"),
    "last bit flipped": lambda t: _sig(t)[:-1] + bytes([_sig(t)[-1] ^ 1]),
    "first bit flipped": lambda t: bytes([_sig(t)[0] ^ 0x80]) + _sig(t)[1:],
}


@pytest.mark.parametrize("name", list(SIGNATURE_CHANGES))
def test_signature_stripped_truncated_or_wrong_length(judge, token, name):
    judge.token("WT", _with_signature(token, SIGNATURE_CHANGES[name](token)))


def test_signature_plus_modulus_is_refused(judge, signing_key, token):
    """s + n is the same residue but not a valid encoding (and is one byte longer)."""
    n = signing_key.public_key.public_numbers().n
    s = int.from_bytes(_sig(token), "big")
    forged = (s + n).to_bytes(((s + n).bit_length() + 7) // 8, "big")
    judge.token("WT", _with_signature(token, forged))


def test_signature_of_another_token_is_refused(judge, make_token):
    first, second = make_token(sub="alice"), make_token(sub="bob")
    judge.token("WT", _with_signature(second, _parts(first)[2]))


# -- HMAC with the public key as the secret (key confusion) -------------------------------------
def _hmac_secrets(key: SigningKey, provider) -> dict[str, bytes]:
    pub = key.public_key
    pem = key.public_pem()
    pkcs1 = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    der1 = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    ssh = pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    numbers = pub.public_numbers()
    jwk = key.public_jwk()
    cert_der = key.certificate.public_bytes(serialization.Encoding.DER) if key.certificate else b"cert"
    cert_pem = key.certificate.public_bytes(serialization.Encoding.PEM) if key.certificate else b"cert"
    return {
        "empty key": b"",
        "PEM (SPKI)": pem,
        "PEM without trailing newline": pem.rstrip(b"\n"),
        "PEM with CRLF": pem.replace(b"\n", b"\r\n"),
        "PKCS#1 PEM": pkcs1,
        "PKCS#1 PEM without trailing newline": pkcs1.rstrip(b"\n"),
        "DER (SPKI)": der,
        "PKCS#1 DER": der1,
        "OpenSSH": ssh,
        "JWK JSON": json.dumps(jwk).encode(),
        "JWK JSON compact": json.dumps(jwk, separators=(",", ":")).encode(),
        "JWKS as served": json.dumps({"keys": [jwk]}).encode(),
        "raw modulus": numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"),
        "modulus base64url": b64url_uint(numbers.n).encode(),
        "x5c certificate DER": cert_der,
        "x5c certificate PEM": cert_pem,
        "x5c base64": jwk.get("x5c", [""])[0].encode(),
        "secret": b"secret",
        "password": b"password",
        "changeme": b"changeme",
        "your-256-bit-secret": b"your-256-bit-secret",
        "client secret of the seed": b"secret",
        "api1": b"api1",
        "kid": key.kid.encode(),
        "issuer URL": provider.issuer.encode(),
        "null byte": b"\x00",
        "Django SECRET_KEY": b"dev-only-insecure-secret-key-change-me",
    }


HMAC_SECRET_NAMES = [
    "empty key",
    "PEM (SPKI)",
    "PEM without trailing newline",
    "PEM with CRLF",
    "PKCS#1 PEM",
    "PKCS#1 PEM without trailing newline",
    "DER (SPKI)",
    "PKCS#1 DER",
    "OpenSSH",
    "JWK JSON",
    "JWK JSON compact",
    "JWKS as served",
    "raw modulus",
    "modulus base64url",
    "x5c certificate DER",
    "x5c certificate PEM",
    "x5c base64",
    "secret",
    "password",
    "changeme",
    "your-256-bit-secret",
    "api1",
    "kid",
    "issuer URL",
    "null byte",
    "Django SECRET_KEY",
]


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
@pytest.mark.parametrize("secret_name", HMAC_SECRET_NAMES)
def test_hmac_with_public_key_material_or_weak_secret(judge, provider, signing_key, alg, secret_name):
    secret = _hmac_secrets(signing_key, provider)[secret_name]
    header = {"alg": alg, "kid": signing_key.kid, "typ": "at+jwt"}
    signing_input = f"{encode_segment(header)}.{encode_segment(access_claims(provider.issuer))}"
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    mac = hmac.new(secret, signing_input.encode("ascii"), digest).digest()
    judge.token(
        "WT", f"{signing_input}.{b64url(mac)}", after=no_key_fetch(provider), description="algorithm not allowed"
    )


@pytest.mark.parametrize("alg", ["HS256"])
def test_hmac_without_kid_is_refused(judge, provider, signing_key, alg):
    header = {"alg": alg, "typ": "at+jwt"}
    signing_input = f"{encode_segment(header)}.{encode_segment(access_claims(provider.issuer))}"
    mac = hmac.new(signing_key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    judge.token("WT", f"{signing_input}.{b64url(mac)}", after=no_key_fetch(provider))


# -- the allowlist -------------------------------------------------------------------------
OTHER_RSA_ALGS = ["PS256", "PS384", "PS512", "RS384", "RS512"]


@pytest.mark.parametrize("jwk_alg", [True, False], ids=["jwk with alg", "jwk without alg"])
@pytest.mark.parametrize("alg", OTHER_RSA_ALGS)
def test_algorithm_outside_the_allowlist_signed_by_the_right_key(
    judge, provider, signing_key, make_token, alg, jwk_alg
):
    provider.set_keys(signing_key, include_alg=jwk_alg)
    judge.token("WT", make_token(alg=alg), description="algorithm not allowed")


@pytest.mark.parametrize("alg", OTHER_RSA_ALGS)
def test_allowlisted_rsa_algorithm_is_accepted_control(judge, jwks_config, provider, signing_key, make_token, alg):
    """The control: the same token passes once its algorithm is allowed and the JWK does not pin another."""
    jwks_config(ALGORITHMS=["RS256", alg])
    provider.set_keys(signing_key, include_alg=False)
    judge.token("200", make_token(alg=alg))


@pytest.mark.parametrize("alg", OTHER_RSA_ALGS)
def test_jwk_alg_pins_the_algorithm(judge, jwks_config, provider, signing_key, make_token, alg):
    """Allowed by the issuer, but the JWK says RS256: refused."""
    jwks_config(ALGORITHMS=["RS256", alg])
    provider.set_keys(signing_key, include_alg=True)
    judge.token("WT", make_token(alg=alg))


# -- ECDSA / EdDSA -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ec_key() -> SigningKey:
    return SigningKey.ec(kid="ec-key-1")


@pytest.fixture(scope="module")
def ed_key() -> SigningKey:
    return SigningKey.ed25519(kid="ed-key-1")


@pytest.fixture
def with_ec_and_ed(jwks_config, provider, signing_key, ec_key, ed_key):
    jwks_config(ALGORITHMS=["RS256", "ES256", "EdDSA"])
    provider.set_keys(signing_key, ec_key, ed_key)


def _ec_sig(r: int, s: int, size: int = 32) -> bytes:
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


PSYCHIC = {
    "r = s = 0 (psychic signature)": _ec_sig(0, 0),
    "r = 0": _ec_sig(0, 1),
    "s = 0": _ec_sig(1, 0),
    "r = s = n": _ec_sig(P256_ORDER, P256_ORDER),
    "r = n, s = 1": _ec_sig(P256_ORDER, 1),
    "r = s = n + 1": _ec_sig(P256_ORDER + 1, P256_ORDER + 1),
    "r = s = 2^256 - 1": b"\xff" * 64,
    "empty": b"",
    "zeros, 63 bytes": b"\x00" * 63,
    "zeros, 65 bytes": b"\x00" * 65,
    "zeros, DER encoded": bytes.fromhex("3006020100020100"),
}


@pytest.mark.parametrize("configured", [True, False], ids=["ES256 allowed", "default allowlist"])
@pytest.mark.parametrize("name", list(PSYCHIC))
def test_ecdsa_psychic_and_out_of_range_signatures(
    judge, jwks_config, provider, signing_key, ec_key, make_token, configured, name
):
    if configured:
        jwks_config(ALGORITHMS=["RS256", "ES256"])
        provider.set_keys(signing_key, ec_key)
    legit = make_token(key=ec_key)
    judge.token("WT", _with_signature(legit, PSYCHIC[name]))


def test_ecdsa_der_signature_instead_of_raw_is_refused(judge, with_ec_and_ed, ec_key, make_token):
    from cryptography.hazmat.primitives.asymmetric import utils

    legit = make_token(key=ec_key)
    raw = _sig(legit)
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    judge.token("WT", _with_signature(legit, der))


@pytest.mark.parametrize("name", ["zeros", "ones", "63 bytes", "65 bytes"])
def test_eddsa_zero_and_wrong_length_signatures(judge, with_ec_and_ed, ed_key, make_token, name):
    legit = make_token(key=ed_key)
    sig = {
        "zeros": b"\x00" * 64,
        "ones": b"\xff" * 64,
        "63 bytes": _sig(legit)[:-1],
        "65 bytes": _sig(legit) + b"\x00",
    }[name]
    judge.token("WT", _with_signature(legit, sig))


@pytest.mark.parametrize("name", ["ES256", "EdDSA"])
def test_ec_and_ed_controls_are_accepted(judge, with_ec_and_ed, ec_key, ed_key, make_token, name):
    """The controls: the legitimate EC and Ed25519 keys do verify once allowed."""
    judge.token("200", make_token(key={"ES256": ec_key, "EdDSA": ed_key}[name]))


ATTACKER_KEYS = {
    "attacker ES256 with our RSA kid": ("ES256", "rsa-key-1"),
    "attacker ES256 with our EC kid": ("ES256", "ec-key-1"),
    "attacker EdDSA with our RSA kid": ("EdDSA", "rsa-key-1"),
    "attacker EdDSA with our Ed25519 kid": ("EdDSA", "ed-key-1"),
    "attacker RS256 with our RSA kid": ("RS256", "rsa-key-1"),
    "attacker ES384 with our EC kid": ("ES384", "ec-key-1"),
}


@pytest.mark.parametrize("configured", [True, False], ids=["ES256+EdDSA allowed", "default allowlist"])
@pytest.mark.parametrize("name", list(ATTACKER_KEYS))
def test_attacker_key_carrying_our_kid(judge, jwks_config, provider, signing_key, ec_key, ed_key, configured, name):
    if configured:
        jwks_config(ALGORITHMS=["RS256", "ES256", "ES384", "EdDSA"])
        provider.set_keys(signing_key, ec_key, ed_key)
    alg, kid = ATTACKER_KEYS[name]
    attacker = {
        "ES256": lambda: SigningKey.ec(kid=kid),
        "ES384": lambda: SigningKey.ec(kid=kid, crv="P-384", alg="ES384"),
        "EdDSA": lambda: SigningKey.ed25519(kid=kid),
        "RS256": lambda: SigningKey(_fresh_rsa(), kid, "RS256"),
    }[alg]()
    token = mint(attacker, access_claims(provider.issuer))
    judge.token("WT", token)


_ATTACKER_RSA = []


def _fresh_rsa():
    """An RSA key surely different from the test provider's (not from the shared pool)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not _ATTACKER_RSA:
        _ATTACKER_RSA.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _ATTACKER_RSA[0]


def test_rsa_signature_by_rsa_key_sharing_modulus_size_is_refused(judge, provider, signing_key):
    """Sanity: the signature check is bound to the key, not to the modulus length."""
    attacker = SigningKey(_fresh_rsa(), signing_key.kid, "RS256")
    token = mint(attacker, access_claims(provider.issuer))
    assert len(_sig(token)) == 256
    judge.token("WT", token)


def test_signed_twice_wrapped_token_is_refused(judge, signing_key, token, provider):
    """A valid token used as the payload of another token is not a token."""
    wrapped = mint(signing_key, token.encode(), header={"alg": "RS256", "kid": signing_key.kid, "typ": "at+jwt"})
    judge.token("WT", wrapped)
