"""Which published keys are used: filtering and duplicate kids."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from jwks_auth.keys.jwks import KeyRejected, KeySet, algorithm_allowed, parse_jwk
from jwks_auth.keys.material import EC_FIELDS, ROCA_PRIMES, has_roca_fingerprint
from tests.conftest import bearer
from tests.support.keys import SigningKey, b64url, b64url_uint, self_signed_certificate
from tests.support.roca import ROCA_MODULUS_2048, roca_signing_key

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {
        "rsa": SigningKey.rsa(kid="rsa"),
        "rsa1024": SigningKey.rsa(kid="small", bits=1024),
        "ec": SigningKey.ec(kid="ec"),
        "ed": SigningKey.ed25519(kid="ed"),
    }


def _jwk(key: SigningKey, **changes: Any) -> dict[str, Any]:
    jwk = key.public_jwk()
    for name, value in changes.items():
        if value is None:
            jwk.pop(name, None)
        else:
            jwk[name] = value
    return jwk


@pytest.mark.parametrize(
    ("name", "changes", "reason"),
    [
        ("rsa", {"d": "AQAB"}, "private"),
        ("ec", {"d": "AQAB"}, "private"),
        ("rsa", {"p": "AQAB", "q": "AQAB"}, "private"),
        ("rsa", {"use": "enc"}, "use"),
        ("rsa", {"key_ops": ["encrypt"]}, "key_ops"),
        ("rsa", {"key_ops": "verify"}, "key_ops"),
        ("rsa1024", {}, "under 2048"),
        ("rsa", {"alg": "ES256"}, "does not match kty"),
        ("rsa", {"alg": "HS256"}, "not an asymmetric"),
        ("rsa", {"alg": "none"}, "not an asymmetric"),
        ("ec", {"alg": "ES384"}, "does not match crv"),
        ("ec", {"alg": "RS256"}, "does not match kty"),
        ("ed", {"alg": "ES256"}, "does not match kty"),
        ("ec", {"crv": "P-384"}, "wrong length"),
        ("rsa", {"kty": "EC"}, "EC curve"),
        ("rsa", {"kid": None}, "kid"),
        ("rsa", {"kid": ""}, "kid"),
        ("rsa", {"e": "AQ"}, "exponent"),
        ("rsa", {"n": "AQAB=="}, "invalid RSA key"),
    ],
)
def test_unsafe_or_inconsistent_keys_are_skipped(keys, name, changes, reason):
    with pytest.raises(KeyRejected, match=reason):
        parse_jwk(_jwk(keys[name], **changes))


def test_symmetric_keys_are_skipped():
    with pytest.raises(KeyRejected, match="symmetric"):
        parse_jwk({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0IHNlY3JldCBzZWNyZXQ"})
    with pytest.raises(KeyRejected, match="unsupported kty"):
        parse_jwk({"kty": "oct", "kid": "hmac"})


@pytest.mark.parametrize("name", ["rsa", "ec", "ed"])
def test_good_keys_are_used_without_alg_or_use(keys, name):
    key = parse_jwk(_jwk(keys[name], alg=None, use=None))
    assert key.kid == name


def test_two_different_keys_under_one_kid_are_both_refused(keys):
    other = SigningKey.rsa(kid="rsa", fresh=True)
    keyset = KeySet.from_document({"keys": [_jwk(keys["rsa"]), _jwk(other)]})
    assert len(keyset) == 0 and "rsa" not in keyset
    assert any("ambiguous" in reason for _, reason in keyset.rejected)


def test_an_exact_repeat_is_harmless(keys):
    keyset = KeySet.from_document({"keys": [_jwk(keys["rsa"]), _jwk(keys["rsa"])]})
    assert len(keyset) == 1 and keyset.find("rsa", "RS256") is not None


def test_keys_of_different_types_may_share_a_kid(keys):
    ec = SigningKey.ec(kid="rsa")
    keyset = KeySet.from_document({"keys": [_jwk(keys["rsa"]), _jwk(ec)]})
    assert keyset.find("rsa", "RS256").kty == "RSA"
    assert keyset.find("rsa", "ES256").kty == "EC"


def test_bad_keys_next_to_a_good_one_leave_the_good_one(keys):
    document = {
        "keys": [
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            _jwk(keys["rsa1024"]),
            _jwk(keys["ec"], use="enc"),
            "not an object",
            42,
            None,
            _jwk(keys["rsa"]),
        ]
    }
    keyset = KeySet.from_document(document)
    assert [key.kid for key in keyset.keys] == ["rsa"]
    assert len(keyset.rejected) == 6


@pytest.mark.parametrize("document", [None, [], {}, {"keys": {}}, {"keys": "x"}, "keys"])
def test_a_document_that_is_not_a_jwk_set_is_refused(document):
    with pytest.raises(ValueError):
        KeySet.from_document(document)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_jwk_like = st.fixed_dictionaries(
    {"kty": st.sampled_from(["RSA", "EC", "OKP", "oct", "x", 1])},
    optional={
        name: _json | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=400)
        for name in ("kid", "n", "e", "x", "y", "crv", "alg", "use", "key_ops", "x5c", "x5t", "d")
    },
)


#: Real public JWKs: without them no generated set holds a usable key, and the
#: checks on kept keys below would never run.
_VALID_JWKS = [
    SigningKey.rsa(kid="h-rsa").public_jwk(),
    SigningKey.ec(kid="h-ec").public_jwk(),
    SigningKey.ed25519(kid="h-ed").public_jwk(),
]
_PRIVATE = ("d", "k", "p", "q")
_real_jwk = st.builds(
    lambda jwk, private: {**jwk, **private},
    st.sampled_from(_VALID_JWKS),
    st.dictionaries(st.sampled_from(_PRIVATE), st.just("AQAB"), max_size=1),
)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_real_jwk | _jwk_like | _json, max_size=5))
def test_no_jwk_set_makes_parsing_fail_other_than_by_skipping(jwks):
    keyset = KeySet.from_document({"keys": jwks})  # never raises for any content of "keys"
    dicts = [j for j in jwks if isinstance(j, dict)]
    for key in keyset.keys:
        sources = [j for j in dicts if j.get("kid") == key.kid]
        assert key.kty in ("RSA", "EC", "OKP")
        assert any(not (set(_PRIVATE) & j.keys()) for j in sources)  # never a key published with private parts
    kept = {key.kid for key in keyset.keys}
    for jwk in dicts:
        kid = jwk.get("kid")
        alone = isinstance(kid, str) and sum(1 for j in dicts if j.get("kid") == kid) == 1
        if alone and jwk in _VALID_JWKS:
            assert kid in kept  # a real public key next to garbage is kept
        if alone and set(_PRIVATE) & jwk.keys():
            assert kid not in kept
    assert all(isinstance(kid, str) and isinstance(reason, str) for kid, reason in keyset.rejected)


def test_a_key_published_with_private_members_never_verifies_a_token(
    client, make_token, provider, signing_key, other_key
):
    leaky = other_key.public_jwk()
    leaky["d"] = leaky["n"]
    provider.set_jwks({"keys": [signing_key.public_jwk(), leaky]})
    assert client.get("/me", **bearer(make_token())).status_code == 200
    assert client.get("/me", **bearer(make_token(key=other_key))).status_code == 401


def test_a_jwks_with_no_usable_key_is_a_failed_fetch(client, make_token, provider, signal_log):
    small = SigningKey.rsa(kid="rsa-key-1", bits=1024)
    provider.set_jwks(json.loads(json.dumps({"keys": [small.public_jwk()]})))
    response = client.get("/me", **bearer(make_token(key=small)))
    assert response.status_code == 503
    assert "no usable key" in signal_log.of("jwks_fetch_failed")[0]["error"]


# -- key material (jwks_auth.keys.material) ----------------------------------------------------------
#: The canonical encodings of the eight points of order dividing 8 (libsodium's
#: blocklist and the "Taming the many EdDSAs" paper), as little-endian hex.
SMALL_ORDER = {
    "identity (order 1)": "01" + "00" * 31,
    "(0, -1) (order 2)": "ec" + "ff" * 30 + "7f",
    "(+sqrt(-1), 0) (order 4)": "00" * 32,
    "(-sqrt(-1), 0) (order 4)": "00" * 31 + "80",
    "order 8, y = 0x05fc...": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "order 8, y = 0x05fc..., odd x": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "order 8, y = 0x7a03...": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "order 8, y = 0x7a03..., odd x": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}
#: Non-canonical spellings of small-order points and other encodings RFC 8032 5.1.3 refuses.
NON_CANONICAL = {
    "y = p (0 unreduced)": ("ed" + "ff" * 30 + "7f", "y >= p"),
    "y = p + 1 (the identity unreduced)": ("ee" + "ff" * 30 + "7f", "y >= p"),
    "y = p + 1 with the sign bit": ("ee" + "ff" * 31, "y >= p"),
    "y = 2^255 - 1": ("ff" * 31 + "7f", "y >= p"),
    "identity with the sign bit": ("01" + "00" * 30 + "80", "x = 0 with the sign bit"),
    "(0, -1) with the sign bit": ("ec" + "ff" * 31, "x = 0 with the sign bit"),
    "y = 2, off the curve": ("02" + "00" * 31, "not on the curve"),
}


def _okp(x: bytes, **extra: Any) -> dict[str, Any]:
    return {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64url(x), **extra}


@pytest.mark.parametrize("name", list(SMALL_ORDER))
def test_small_order_ed25519_points_are_refused(name):
    with pytest.raises(KeyRejected, match="small-order point"):
        parse_jwk(_okp(bytes.fromhex(SMALL_ORDER[name])))


def test_the_identity_key_of_the_issue_is_refused():
    for x in ("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"):
        keyset = KeySet.from_document({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": x}]})
        assert len(keyset) == 0
        assert keyset.rejected == (("ed", "Ed25519 key is a small-order point"),)


@pytest.mark.parametrize("name", list(NON_CANONICAL))
def test_non_canonical_ed25519_encodings_are_refused(name):
    encoding, reason = NON_CANONICAL[name]
    with pytest.raises(KeyRejected, match=reason):
        parse_jwk(_okp(bytes.fromhex(encoding)))


@pytest.mark.parametrize("_", range(20))
def test_generated_ed25519_keys_pass(_):
    key = SigningKey.ed25519(kid="ed")
    assert parse_jwk(key.public_jwk()).crv == "Ed25519"


def _b64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def test_ed25519_length_is_checked():
    for size in (31, 33):
        with pytest.raises(KeyRejected, match="wrong length"):
            parse_jwk(_okp(bytes(size)))


def test_ec_coordinate_not_reduced_is_refused():
    """P-521 leaves room in 66 octets for x + p: the same point mod p, refused."""
    key = SigningKey.ec(kid="ec521", crv="P-521", alg="ES512")
    jwk = key.public_jwk()
    p, _ = EC_FIELDS["P-521"]
    for member in ("x", "y"):
        unreduced = dict(jwk, **{member: b64url_uint(int.from_bytes(_b64(jwk[member]), "big") + p, 66)})
        with pytest.raises(KeyRejected, match="not below the field prime"):
            parse_jwk(unreduced)
    assert parse_jwk(jwk).crv == "P-521"


def _p256_point_with_small_x() -> tuple[int, int]:
    p, b = EC_FIELDS["P-256"]
    for x in range(1, 1000):
        rhs = (x**3 - 3 * x + b) % p
        y = pow(rhs, (p + 1) // 4, p)  # p = 3 mod 4
        if y * y % p == rhs:
            ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()  # a real point
            return x, y
    raise AssertionError("no point found")


def test_p256_coordinate_not_reduced_is_refused():
    x, y = _p256_point_with_small_x()
    p, _ = EC_FIELDS["P-256"]
    good = {"kty": "EC", "crv": "P-256", "kid": "ec", "x": b64url_uint(x, 32), "y": b64url_uint(y, 32)}
    assert parse_jwk(good).kty == "EC"
    with pytest.raises(KeyRejected, match="not below the field prime"):
        parse_jwk(dict(good, x=b64url_uint(x + p, 32)))
    with pytest.raises(KeyRejected, match="not on the curve"):
        parse_jwk(dict(good, y=b64url_uint(y ^ 1, 32)))


@pytest.mark.parametrize("member", ["x", "y"])
@pytest.mark.parametrize("delta", [-1, 1])
def test_ec_coordinates_of_the_wrong_length_are_refused(keys, member, delta):
    jwk = keys["ec"].public_jwk()
    raw = _b64(jwk[member])
    changed = b"\0" + raw if delta > 0 else raw[1:]
    with pytest.raises(KeyRejected, match="wrong length"):
        parse_jwk(dict(jwk, **{member: b64url(changed)}))


def test_rsa_exponent_with_a_leading_zero_octet_is_refused(keys):
    with pytest.raises(KeyRejected, match="exponent is not minimally encoded"):
        parse_jwk(_jwk(keys["rsa"], e=b64url(b"\0\1\0\1")))


def test_rsa_modulus_sign_octet_is_tolerated_with_the_canonical_thumbprint(keys):
    jwk = _jwk(keys["rsa"])
    padded = parse_jwk(dict(jwk, n=b64url(b"\0" + _b64(jwk["n"]))))
    assert padded.thumbprint == parse_jwk(jwk).thumbprint


def test_rsa_modulus_with_other_leading_zeros_is_refused(keys):
    jwk = _jwk(keys["rsa"])
    with pytest.raises(KeyRejected, match="modulus is not minimally encoded"):
        parse_jwk(dict(jwk, n=b64url(b"\0\0" + _b64(jwk["n"]))))


def test_rsa_modulus_zero_before_a_low_octet_is_not_a_sign_octet():
    """A 2049-bit modulus starts with 0x01: a zero octet before it is padding, not a sign octet."""
    key = roca_signing_key()  # any 2049-bit key; ROCA is checked after the encoding
    jwk = key.public_jwk()
    assert _b64(jwk["n"])[0] == 0x01
    with pytest.raises(KeyRejected, match="modulus is not minimally encoded"):
        parse_jwk(dict(jwk, n=b64url(b"\0" + _b64(jwk["n"]))))


def test_roca_fingerprinted_moduli_are_refused():
    key = roca_signing_key()
    with pytest.raises(KeyRejected, match="ROCA"):
        parse_jwk(key.public_jwk())
    with pytest.raises(KeyRejected, match="ROCA"):
        parse_jwk({"kty": "RSA", "kid": "roca", "n": b64url_uint(ROCA_MODULUS_2048), "e": "AQAB"})


def test_roca_subgroups_are_the_published_detector_masks():
    """roca-detect's bit masks (residues of <65537> mod each prime), from its published source."""
    published = [
        6,
        30,
        126,
        1026,
        5658,
        107286,
        199410,
        8388606,
        536870910,
        2147483646,
        67109890,
        2199023255550,
        8796093022206,
        140737488355326,
        5310023542746834,
        576460752303423486,
        1455791217086302986,
        147573952589676412926,
        20052041432995567486,
        6041388139249378920330,
        207530445072488465666,
        9671406556917033397649406,
        618970019642690137449562110,
        79228162521181866724264247298,
        2535301200456458802993406410750,
        1760368345969468176824550810518,
        50079290986288516948354744811034,
        473022961816146413042658758988474,
        10384593717069655257060992658440190,
        144390480366845522447407333004847678774,
        2722258935367507707706996859454145691646,
        174224571863520493293247799005065324265470,
        696898287454081973172991196020261297061886,
        713623846352979940529142984724747568191373310,
        1800793591454480341970779146165214289059119882,
        126304807362733370595828809000324029340048915994,
        11692013098647223345629478661730264157247460343806,
        187072209578355573530071658587684226515959365500926,
    ]
    from jwks_auth.keys.material import _ROCA_SUBGROUPS

    assert [prime for prime, _ in _ROCA_SUBGROUPS] == list(ROCA_PRIMES)
    assert [sum(1 << r for r in group) for _, group in _ROCA_SUBGROUPS] == published


@pytest.mark.parametrize("bits", [2048, 3072, 4096])
def test_ordinary_rsa_keys_have_no_roca_fingerprint(bits):
    key = SigningKey.rsa(kid="r", bits=bits)
    assert not has_roca_fingerprint(key.public_key.public_numbers().n)
    assert parse_jwk(key.public_jwk()).size == bits


def _unloadable_certificate(private_key: Any) -> str:
    """A real certificate whose key names an EC curve cryptography does not support (prime192v2)."""
    der = self_signed_certificate(private_key).public_bytes(serialization.Encoding.DER)
    p256, prime192v2 = bytes.fromhex("06082a8648ce3d030107"), bytes.fromhex("06082a8648ce3d030102")
    assert der.count(p256) == 1
    return base64.b64encode(der.replace(p256, prime192v2)).decode("ascii")


def test_an_unloadable_certificate_drops_only_its_key(keys):
    bad = dict(_jwk(keys["ec"]), x5c=[_unloadable_certificate(keys["ec"].private_key)])
    keyset = KeySet.from_document({"keys": [bad, _jwk(keys["rsa"])]})
    assert [key.kid for key in keyset.keys] == ["rsa"]
    assert keyset.rejected == (("ec", "x5c certificate cannot be loaded (UnsupportedAlgorithm)"),)


def test_any_exception_while_parsing_one_jwk_drops_only_that_jwk(keys):
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    weird = dict(_jwk(keys["ec"]), use=deep)  # repr() of it recurses too deep
    keyset = KeySet.from_document({"keys": [weird, _jwk(keys["rsa"])]})
    assert [key.kid for key in keyset.keys] == ["rsa"]
    assert keyset.rejected == (("ec", "cannot be parsed (RecursionError)"),)


@pytest.mark.parametrize(
    ("header_alg", "key_alg", "found"),
    [
        ("Ed25519", "EdDSA", True),
        ("EdDSA", "Ed25519", True),
        ("Ed25519", "Ed25519", True),
        ("Ed25519", None, True),
        ("ES256", "Ed25519", False),
        ("Ed448", None, False),
    ],
)
def test_ed25519_is_the_fully_specified_name_of_eddsa(keys, header_alg, key_alg, found):
    key = parse_jwk(_jwk(keys["ed"], alg=key_alg))
    assert KeySet((key,), (), {"ed": (key,)}).find("ed", header_alg) is (key if found else None)


def test_ed25519_alg_on_other_key_types_is_refused(keys):
    for name in ("rsa", "ec"):
        with pytest.raises(KeyRejected, match="does not match kty"):
            parse_jwk(_jwk(keys[name], alg="Ed25519"))


@pytest.mark.parametrize("changes", [{"crv": "Ed448"}, {"alg": "Ed448"}])
def test_ed448_keys_are_dropped_with_a_reason(keys, changes):
    with pytest.raises(KeyRejected, match="Ed448 keys are not supported"):
        parse_jwk(_jwk(keys["ed"], **changes))


def test_algorithm_allowlist_treats_both_eddsa_names_alike():
    assert algorithm_allowed("Ed25519", frozenset({"EdDSA"}))
    assert algorithm_allowed("EdDSA", frozenset({"Ed25519"}))
    assert not algorithm_allowed("Ed25519", frozenset({"RS256"}))
    assert not algorithm_allowed("Ed448", frozenset({"EdDSA", "Ed448"}))
    assert not algorithm_allowed("HS256", frozenset({"HS256"}))
