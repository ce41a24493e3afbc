"""Which published keys are used: filtering and duplicate kids."""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from jwks_auth.keys import KeyRejected, KeySet, parse_jwk
from tests.conftest import bearer
from tests.support.keys import SigningKey

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
    other = SigningKey.rsa(kid="rsa")
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
    document = {"keys": [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}, _jwk(keys["rsa1024"]), _jwk(keys["ec"], use="enc"),
        "not an object", 42, None, _jwk(keys["rsa"]),
    ]}
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
    optional={name: _json | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                                    max_size=400)
              for name in ("kid", "n", "e", "x", "y", "crv", "alg", "use", "key_ops", "x5c", "x5t", "d")},
)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_jwk_like | _json, max_size=5))
def test_no_jwk_set_makes_parsing_fail_other_than_by_skipping(jwks):
    keyset = KeySet.from_document({"keys": jwks})  # never raises for any content of "keys"
    for key in keyset.keys:
        source = next(j for j in jwks if isinstance(j, dict) and j.get("kid") == key.kid)
        assert key.kty in ("RSA", "EC", "OKP") and not ({"d", "k", "p", "q"} & source.keys())
    assert all(isinstance(kid, str) and isinstance(reason, str) for kid, reason in keyset.rejected)


def test_a_key_published_with_private_members_never_verifies_a_token(client, make_token, provider, signing_key,
                                                                     other_key):
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
