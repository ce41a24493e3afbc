"""Which JWKS keys are ever used (RFC 7517, RFC 8725 3.4/3.5), and outages.

Each unusable key is published next to the real one; a token signed by the
unusable key's own private key is refused, while the real key keeps working.
Controls publish the same key without its defect and see it accepted.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jwks_auth.keys.material import EC_FIELDS
from tests.support.keys import SigningKey, b64url, b64url_uint
from tests.support.roca import roca_signing_key
from tests.support.tokens import access_claims, encode_segment, mint

pytestmark = pytest.mark.django_db(databases=[])


def _rsa(kid: str, bits: int = 2048) -> SigningKey:
    """A fresh RSA key, surely not the provider's (the shared pool is bypassed)."""
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=bits), kid, "RS256")


@pytest.fixture(scope="module")
def keys():
    return {
        "rsa": _rsa("bad-rsa"),
        "rsa2": _rsa("bad-rsa"),
        "rsa1024": _rsa("bad-rsa", 1024),
        "ec": SigningKey.ec(kid="bad-ec"),
        "ec384": SigningKey.ec(kid="bad-ec", crv="P-384", alg="ES384"),
        "ed": SigningKey.ed25519(kid="bad-ed"),
        "ec521": SigningKey.ec(kid="bad-ec", crv="P-521", alg="ES512"),
        "roca": roca_signing_key(kid="bad-rsa"),
    }


def _private_members(key: SigningKey) -> dict:
    pk = key.private_key
    if isinstance(pk, rsa.RSAPrivateKey):
        n = pk.private_numbers()
        return {
            "d": b64url_uint(n.d),
            "p": b64url_uint(n.p),
            "q": b64url_uint(n.q),
            "dp": b64url_uint(n.dmp1),
            "dq": b64url_uint(n.dmq1),
            "qi": b64url_uint(n.iqmp),
        }
    if hasattr(pk, "private_numbers"):
        return {"d": b64url_uint(pk.private_numbers().private_value, 32 if key.alg == "ES256" else 48)}
    from cryptography.hazmat.primitives import serialization

    return {
        "d": b64url(
            pk.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        )
    }


def _off_curve(jwk: dict) -> dict:
    import base64

    y = base64.urlsafe_b64decode(jwk["y"] + "==")
    y = (int.from_bytes(y, "big") ^ 1).to_bytes(len(y), "big")
    return dict(jwk, y=b64url(y))


# name -> (key name, function(jwk, key) -> published JWK, token alg)
DEFECTS = {
    "RSA with d": ("rsa", lambda j, k: dict(j, d=_private_members(k)["d"]), "RS256"),
    "RSA with all private members": ("rsa", lambda j, k: dict(j, **_private_members(k)), "RS256"),
    "RSA with an empty d": ("rsa", lambda j, k: dict(j, d=""), "RS256"),
    "EC with d": ("ec", lambda j, k: dict(j, **_private_members(k)), "ES256"),
    "Ed25519 with d": ("ed", lambda j, k: dict(j, **_private_members(k)), "EdDSA"),
    "RSA with k": ("rsa", lambda j, k: dict(j, k="c2VjcmV0"), "RS256"),
    "use enc": ("rsa", lambda j, k: dict(j, use="enc"), "RS256"),
    "use of the wrong type": ("rsa", lambda j, k: dict(j, use=["sig"]), "RS256"),
    "key_ops encrypt": ("rsa", lambda j, k: dict(j, key_ops=["encrypt"]), "RS256"),
    "key_ops as a string": ("rsa", lambda j, k: dict(j, key_ops="verify"), "RS256"),
    "RSA 1024 bits": ("rsa1024", lambda j, k: j, "RS256"),
    "RSA e = 1 (key replaced)": ("rsa", lambda j, k: dict(j, e="AQ"), "RS256"),
    "RSA e = 2": ("rsa", lambda j, k: dict(j, e="Ag"), "RS256"),
    "RSA n padded with '='": ("rsa", lambda j, k: dict(j, n=j["n"] + "=="), "RS256"),
    "RSA alg ES256": ("rsa", lambda j, k: dict(j, alg="ES256"), "RS256"),
    "RSA alg HS256": ("rsa", lambda j, k: dict(j, alg="HS256"), "RS256"),
    "RSA alg none": ("rsa", lambda j, k: dict(j, alg="none"), "RS256"),
    "RSA declared as EC": ("rsa", lambda j, k: dict(j, kty="EC"), "RS256"),
    "RSA kty lower case": ("rsa", lambda j, k: dict(j, kty="rsa"), "RS256"),
    "EC alg RS256": ("ec", lambda j, k: dict(j, alg="RS256"), "ES256"),
    "EC P-256 alg ES384": ("ec", lambda j, k: dict(j, alg="ES384"), "ES256"),
    "EC P-256 declared P-384": ("ec", lambda j, k: dict(j, crv="P-384"), "ES256"),
    "EC P-384 declared P-256": ("ec384", lambda j, k: dict(j, crv="P-256"), "ES384"),
    "EC point off the curve": ("ec", lambda j, k: _off_curve(j), "ES256"),
    "EC point at zero": ("ec", lambda j, k: dict(j, x=b64url(bytes(32)), y=b64url(bytes(32))), "ES256"),
    "EC secp256k1": ("ec", lambda j, k: dict(j, crv="secp256k1"), "ES256"),
    "Ed25519 alg ES256": ("ed", lambda j, k: dict(j, alg="ES256"), "EdDSA"),
    "Ed448 declared": ("ed", lambda j, k: dict(j, crv="Ed448"), "EdDSA"),
    "X25519 declared": ("ed", lambda j, k: dict(j, crv="X25519"), "EdDSA"),
    "x5c of another key": ("rsa", lambda j, k: dict(j, x5c=None), "RS256"),  # filled in by the test
    "x5t not matching x5c": ("rsa", lambda j, k: dict(j, x5c=None, x5t="AAAA"), "RS256"),
    "kid of the wrong type": ("rsa", lambda j, k: dict(j, kid=1), "RS256"),
    "RSA e with a leading zero octet": ("rsa", lambda j, k: dict(j, e=b64url(b"\0" + _b64(j["e"]))), "RS256"),
    "RSA n with two leading zero octets": ("rsa", lambda j, k: dict(j, n=b64url(b"\0\0" + _b64(j["n"]))), "RS256"),
    "RSA with the ROCA fingerprint": ("roca", lambda j, k: j, "RS256"),
    "EC P-521 x not reduced (x + p)": ("ec521", lambda j, k: _unreduced(j, "x"), "ES512"),
    "EC P-521 y not reduced (y + p)": ("ec521", lambda j, k: _unreduced(j, "y"), "ES512"),
    "Ed25519 alg Ed448": ("ed", lambda j, k: dict(j, alg="Ed448"), "EdDSA"),
    "EC alg Ed25519": ("ec", lambda j, k: dict(j, alg="Ed25519"), "ES256"),
    "x5c that cannot be loaded": ("ec", lambda j, k: dict(j, x5c=[_unloadable_certificate(k.private_key)]), "ES256"),
}

#: The defects a clean copy of the same key can be published without (the controls).
CONTROLLABLE = [
    "RSA with d",
    "EC with d",
    "Ed25519 with d",
    "use enc",
    "key_ops encrypt",
    "RSA alg ES256",
    "EC P-256 alg ES384",
    "EC point off the curve",
    "x5c of another key",
    "RSA e with a leading zero octet",
    "EC P-521 x not reduced (x + p)",
    "Ed25519 alg Ed448",
    "x5c that cannot be loaded",
]


def _b64(value: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _unreduced(jwk: dict, member: str) -> dict:
    """The same P-521 point with one coordinate plus p: 66 octets leave room for it."""
    p, _ = EC_FIELDS["P-521"]
    return dict(jwk, **{member: b64url_uint(int.from_bytes(_b64(jwk[member]), "big") + p, 66)})


def _unloadable_certificate(private_key) -> str:
    """A real certificate for the key, its curve OID changed to one cryptography cannot load (prime192v2)."""
    import base64

    from cryptography.hazmat.primitives import serialization

    from tests.support.keys import self_signed_certificate

    der = self_signed_certificate(private_key).public_bytes(serialization.Encoding.DER)
    p256, prime192v2 = bytes.fromhex("06082a8648ce3d030107"), bytes.fromhex("06082a8648ce3d030102")
    assert der.count(p256) == 1
    return base64.b64encode(der.replace(p256, prime192v2)).decode("ascii")


def _certificate_b64(private_key) -> str:
    import base64

    from cryptography.hazmat.primitives import serialization

    from tests.support.keys import self_signed_certificate

    return base64.b64encode(self_signed_certificate(private_key).public_bytes(serialization.Encoding.DER)).decode()


@pytest.fixture
def publish(jwks_config, provider, signing_key):
    """Publish the real key and one more JWK; allow every asymmetric algorithm the cases use."""
    jwks_config(ALGORITHMS=["RS256", "ES256", "ES384", "ES512", "EdDSA"])

    def apply(jwk: dict) -> None:
        provider.set_jwks({"keys": [signing_key.public_jwk(), jwk]})

    return apply


def _published(name: str, keys: dict) -> tuple[SigningKey, dict, str]:
    key_name, change, alg = DEFECTS[name]
    key = keys[key_name]
    jwk = change(key.public_jwk(), key)
    if jwk.get("x5c", 1) is None:
        jwk["x5c"] = [_certificate_b64((keys["rsa2"] if "another" in name else key).private_key)]
    return key, jwk, alg


@pytest.mark.parametrize("name", list(DEFECTS))
def test_unusable_jwks_member_is_never_used(judge, publish, provider, keys, name):
    key, jwk, alg = _published(name, keys)
    publish(jwk)
    if name == "RSA e = 1 (key replaced)":
        token = _forge_for_e1(key, provider.issuer)
    else:
        token = mint(key, access_claims(provider.issuer), alg=alg)
    judge.token("WT", token)


@pytest.mark.parametrize("name", CONTROLLABLE)
def test_the_same_key_without_its_defect_is_used_control(judge, publish, provider, keys, name):
    key_name, _, alg = DEFECTS[name]
    key = keys[key_name]
    publish(key.public_jwk())
    judge.token("200", mint(key, access_claims(provider.issuer), alg=alg))


_SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def _forge_for_e1(key: SigningKey, issuer: str) -> str:
    """With e = 1, "s^e mod n" is s: the PKCS#1 v1.5 encoding itself is a valid signature."""
    header = {"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}
    signing_input = f"{encode_segment(header)}.{encode_segment(access_claims(issuer))}"
    size = (key.public_key.key_size + 7) // 8
    digest_info = _SHA256_PREFIX + hashlib.sha256(signing_input.encode()).digest()
    em = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    return f"{signing_input}.{b64url(em)}"


def test_rsa_modulus_with_a_leading_zero_octet_is_tolerated(judge, publish, provider, keys):
    """RFC 7518 6.3.1.1 wants the minimal encoding, but Java-based providers (Cloud Foundry UAA, ForgeRock AM,
    the Jenkins OIDC plugin) prefix the sign octet: the same public key, so accepted (a documented leniency)."""
    key = keys["rsa"]
    jwk = key.public_jwk()
    publish(dict(jwk, n=b64url(b"\0" + _b64(jwk["n"]))))
    judge.token("200", mint(key, access_claims(provider.issuer)))


def test_oct_key_in_the_jwks_is_never_used(judge, jwks_config, provider, signing_key):
    import hmac

    secret = b"a shared secret of at least thirty-two bytes!!"
    provider.set_jwks(
        {
            "keys": [
                signing_key.public_jwk(),
                {"kty": "oct", "kid": "hmac", "k": b64url(secret), "alg": "HS256", "use": "sig"},
            ]
        }
    )
    jwks_config(ALGORITHMS=["RS256", "HS256"])  # misconfigured on purpose
    header = {"alg": "HS256", "kid": "hmac", "typ": "at+jwt"}
    signing_input = f"{encode_segment(header)}.{encode_segment(access_claims(provider.issuer))}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    judge.token("WT", f"{signing_input}.{b64url(mac)}")


def test_oct_key_under_our_kid_does_not_hide_the_rsa_key(judge, provider, signing_key, make_token):
    provider.set_jwks({"keys": [{"kty": "oct", "kid": signing_key.kid, "k": "c2VjcmV0"}, signing_key.public_jwk()]})
    judge.token("200", make_token())


def test_two_different_rsa_keys_under_one_kid_neither_is_used(judge, provider, signing_key, keys):
    first, second = keys["rsa"], keys["rsa2"]
    assert first.kid == second.kid
    provider.set_jwks({"keys": [signing_key.public_jwk(), first.public_jwk(), second.public_jwk()]})
    for key in (first, second):
        judge.token("WT", mint(key, access_claims(provider.issuer)))


def test_duplicate_of_our_kid_with_another_key_disables_it(judge, provider, signing_key, other_key, keys):
    """An injected second key under our kid makes the kid ambiguous: refused, not first- or last-wins."""
    impostor = SigningKey(keys["rsa"].private_key, signing_key.kid, "RS256")
    provider.set_jwks({"keys": [signing_key.public_jwk(), impostor.public_jwk(), other_key.public_jwk()]})
    judge.token("WT", mint(impostor, access_claims(provider.issuer)), then_valid=False)
    response = judge.send(f"Bearer {mint(signing_key, access_claims(provider.issuer))}")
    assert response.status_code == 401


def test_identical_duplicates_are_fine(judge, provider, signing_key, make_token):
    provider.set_jwks({"keys": [signing_key.public_jwk(), signing_key.public_jwk(), signing_key.public_jwk()]})
    judge.token("200", make_token())


def test_rsa_and_ec_keys_under_one_kid_are_told_apart_by_alg(judge, jwks_config, provider, signing_key, keys):
    ec = SigningKey(keys["ec"].private_key, signing_key.kid, "ES256")
    jwks_config(ALGORITHMS=["RS256", "ES256"])
    provider.set_jwks({"keys": [signing_key.public_jwk(), ec.public_jwk()]})
    judge.token("200", mint(ec, access_claims(provider.issuer)))
    judge.token("200", mint(signing_key, access_claims(provider.issuer)))


def test_junk_entries_next_to_the_real_key_are_skipped(judge, provider, signing_key, make_token):
    junk = [
        None,
        1,
        "x",
        [],
        {},
        {"kty": None},
        {"kid": "a"},
        {"kty": "RSA", "kid": "r", "n": 5, "e": "AQAB"},
        {"kty": "EC", "kid": "e", "crv": "P-256", "x": "!!", "y": "??"},
        {"kty": "OKP", "kid": "o", "x": ""},
    ]
    provider.set_jwks({"keys": junk + [signing_key.public_jwk()]})
    judge.token("200", make_token())


# -- key material the library would accept ---------------------------------------------------------
IDENTITY_X = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # the Ed25519 identity point
ZERO_X = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # y = 0: a point of order 4


def _forged_eddsa(kid: str, issuer: str, alg: str = "EdDSA") -> tuple[str, bytes, bytes]:
    """A token "signed" with R = identity, S = 0: valid under a small-order key for many messages."""
    header = {"alg": alg, "kid": kid, "typ": "at+jwt"}
    signing_input = f"{encode_segment(header)}.{encode_segment(access_claims(issuer))}"
    signature = b"\x01" + bytes(31) + bytes(32)
    return f"{signing_input}.{b64url(signature)}", signing_input.encode(), signature


@pytest.mark.parametrize("alg", ["EdDSA", "Ed25519"])
def test_identity_ed25519_key_cannot_be_used_to_mint_tokens(judge, jwks_config, provider, signing_key, alg):
    from cryptography.hazmat.primitives.asymmetric import ed25519

    jwks_config(ALGORITHMS=["RS256", "EdDSA"])
    provider.set_jwks(
        {"keys": [signing_key.public_jwk(), {"kty": "OKP", "crv": "Ed25519", "kid": "ed-id", "x": IDENTITY_X}]}
    )
    token, signing_input, signature = _forged_eddsa("ed-id", provider.issuer, alg)
    # The library alone accepts the forgery: only the key check stands between it and a 200.
    ed25519.Ed25519PublicKey.from_public_bytes(_b64(IDENTITY_X)).verify(signature, signing_input)
    judge.token("WT", token)
    assert any("Ed25519 key is a small-order point" in r.getMessage() for r in judge.caplog.records)


def test_zero_ed25519_key_cannot_be_used_to_mint_tokens(judge, jwks_config, provider, signing_key):
    """Under the order-4 point, R = identity, S = 0 verifies for one message in four.

    Forge until the library itself accepts four (a fixed count of tries failed about once in a
    hundred runs with none accepted), then send exactly those: each must be refused.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519

    jwks_config(ALGORITHMS=["RS256", "EdDSA"])
    provider.set_jwks({"keys": [signing_key.public_jwk(), {"kty": "OKP", "crv": "Ed25519", "kid": "ed0", "x": ZERO_X}]})
    zero_key = ed25519.Ed25519PublicKey.from_public_bytes(bytes(32))
    forgeries: list[str] = []
    for _ in range(400):  # (3/4)**400: never short of four
        token, signing_input, signature = _forged_eddsa("ed0", provider.issuer)
        try:
            zero_key.verify(signature, signing_input)
        except InvalidSignature:
            continue
        forgeries.append(token)
        if len(forgeries) == 4:
            break
    assert len(forgeries) == 4, "too few forgeries the library accepts: the test would prove nothing"
    for token in forgeries:
        judge.token("WT", token, then_valid=False)
    judge.valid_still_works()


def test_an_unloadable_certificate_entry_leaves_the_good_key_serving_with_one_fetch(
    judge, jwks_config, provider, signing_key, keys
):
    """The issue's 500 with a refetch per request: now the odd entry alone is dropped, once."""
    jwks_config(ALGORITHMS=["RS256", "ES256"])
    bad = dict(keys["ec"].public_jwk(), x5c=[_unloadable_certificate(keys["ec"].private_key)])
    provider.set_jwks({"keys": [bad, signing_key.public_jwk()]})
    provider.reset_counts()
    for _ in range(5):
        judge.token("200", mint(signing_key, access_claims(provider.issuer)), then_valid=False)
    assert provider.jwks_hits == 1
    messages = [r.getMessage() for r in judge.caplog.records]
    assert "JWKS key 'bad-ec' skipped: x5c certificate cannot be loaded (UnsupportedAlgorithm)" in messages
    judge.token("WT", mint(keys["ec"], access_claims(provider.issuer)))

    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("jwks_inspect", stdout=out)
    assert "skipped kid=bad-ec: x5c certificate cannot be loaded (UnsupportedAlgorithm)" in out.getvalue()


@pytest.mark.parametrize(
    ("allowed", "key_alg", "token_alg"),
    [
        (["EdDSA"], "EdDSA", "Ed25519"),
        (["EdDSA"], "Ed25519", "Ed25519"),
        (["Ed25519"], "Ed25519", "Ed25519"),
        (["Ed25519"], "EdDSA", "EdDSA"),
        (["Ed25519"], None, "EdDSA"),
    ],
)
def test_ed25519_is_accepted_wherever_eddsa_is(
    judge, jwks_config, provider, signing_key, keys, allowed, key_alg, token_alg
):
    jwks_config(ALGORITHMS=["RS256", *allowed])
    ed = keys["ed"]
    jwk = ed.public_jwk(include_alg=key_alg is not None)
    if key_alg is not None:
        jwk["alg"] = key_alg
    provider.set_jwks({"keys": [signing_key.public_jwk(), jwk]})
    judge.token("200", mint(ed, access_claims(provider.issuer), alg=token_alg))


@pytest.mark.parametrize(
    ("allowed", "token_alg"), [(["RS256"], "Ed25519"), (["RS256", "ES256"], "EdDSA"), (["EdDSA"], "Ed448")]
)
def test_ed25519_is_refused_where_eddsa_is_not_allowed(
    judge, jwks_config, provider, signing_key, keys, allowed, token_alg
):
    jwks_config(ALGORITHMS=allowed + (["RS256"] if "RS256" not in allowed else []))
    provider.set_jwks({"keys": [signing_key.public_jwk(), keys["ed"].public_jwk(include_alg=False)]})
    judge.token(
        "WT",
        mint(
            keys["ed"],
            access_claims(provider.issuer),
            alg="EdDSA",
            header={"alg": token_alg, "kid": keys["ed"].kid, "typ": "at+jwt"},
        ),
    )


def test_an_ed25519_token_never_matches_an_rsa_key(judge, jwks_config, provider, signing_key, keys):
    jwks_config(ALGORITHMS=["RS256", "Ed25519"])
    ed_as_rsa_kid = SigningKey(keys["ed"].private_key, signing_key.kid, "Ed25519")
    judge.token("WT", mint(ed_as_rsa_kid, access_claims(provider.issuer)))


# -- outages ----------------------------------------------------------------------------------------
def _break(provider, how: str, signing_key) -> None:
    if how == "stopped":
        provider.stop()
    elif how in ("500", "404", "429"):
        provider.failure = int(how)
    elif how == "connection reset":
        provider.failure = "reset"
    elif how == "not JSON":
        provider.set_jwks(b"<html>maintenance</html>")
    elif how == "JSON array":
        provider.set_jwks(b"[]")
    elif how == "no keys":
        provider.set_jwks({"keys": []})
    elif how == "only unusable keys":
        provider.set_jwks({"keys": [dict(signing_key.public_jwk(), use="enc")]})
    elif how == "too slow":
        provider.delay = 1.5
    elif how == "too large":
        provider.set_jwks({"keys": [signing_key.public_jwk()], "pad": "x" * (600 * 1024)})
    else:  # pragma: no cover
        raise AssertionError(how)


def _repair(provider, how: str, signing_key) -> None:
    if how == "stopped":
        provider.start()
    provider.failure = None
    provider.delay = 0.0
    provider.set_keys(signing_key)


OUTAGES = [
    "stopped",
    "500",
    "404",
    "429",
    "connection reset",
    "not JSON",
    "JSON array",
    "no keys",
    "only unusable keys",
    "too slow",
    "too large",
]


@pytest.mark.parametrize("how", OUTAGES)
def test_keys_unavailable_with_a_cold_cache_is_503(judge, jwks_config, provider, signing_key, token, how):
    jwks_config(HTTP_TIMEOUT=(0.5, 0.5), JWKS_RETRY_INTERVAL=0)
    _break(provider, how, signing_key)
    judge.expect("503", f"Bearer {token}", secret=token, then_valid=False)
    response = judge.send(f"Bearer {token}")
    assert response.status_code == 503, "never 200 while no key could be had"
    _repair(provider, how, signing_key)
    judge.valid_still_works()


@pytest.mark.parametrize("how", OUTAGES)
def test_keys_unavailable_with_a_warm_cache_still_200(judge, jwks_config, provider, signing_key, make_token, how):
    """The set is past its soft lifetime, so every request tries a refresh that fails: the last good set serves."""
    jwks_config(
        HTTP_TIMEOUT=(0.5, 0.5),
        JWKS_DEFAULT_TTL=0,
        JWKS_MIN_TTL=0,
        JWKS_REFRESH_AHEAD=0,
        LOCAL_TTL=0,
        JWKS_RETRY_INTERVAL=0,
    )
    judge.token("200", make_token())
    hits = provider.jwks_hits
    _break(provider, how, signing_key)
    deadline = time.monotonic() + 5
    attempts = 0
    while time.monotonic() < deadline:
        judge.token("200", make_token(), then_valid=False)
        attempts += 1
        if how == "stopped" or provider.jwks_hits > hits:
            if attempts >= 3:
                break
        time.sleep(0.05)
    if how != "stopped":
        assert provider.jwks_hits > hits, "no refresh was attempted: the test proves nothing"
