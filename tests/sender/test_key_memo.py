"""The memo of checked proof keys: only keys that passed, by every member, bounded."""

from __future__ import annotations

import pytest

from jwks_auth.sender import ProofError
from jwks_auth.sender import proof_key as jwk_module
from jwks_auth.sender.proof_key import CheckedKeys, proof_key
from tests.support import dpop
from tests.support.keys import SigningKey


@pytest.fixture
def parses(monkeypatch):
    """Counts the real key checks behind proof_key (the memo is emptied first)."""
    jwk_module.checked_keys.clear()
    calls = []
    real = jwk_module.parse_jwk

    def counting(candidate):
        calls.append(candidate)
        return real(candidate)

    monkeypatch.setattr(jwk_module, "parse_jwk", counting)
    yield calls
    jwk_module.checked_keys.clear()


def test_a_key_that_passed_is_checked_once(parses):
    client = SigningKey.ec(kid="client")
    first = proof_key(dpop.proof_jwk(client), "ES256")
    again = proof_key(dpop.proof_jwk(client), "ES256")
    assert again is first
    assert len(parses) == 1
    assert first.thumbprint == dpop.thumbprint(client)


def test_the_memo_still_checks_the_algorithm(parses):
    client = SigningKey.ec(kid="client")
    proof_key(dpop.proof_jwk(client), "ES256")
    with pytest.raises(ProofError):
        proof_key(dpop.proof_jwk(client), "RS256")


def test_a_refused_key_is_checked_every_time(parses):
    small = SigningKey.ec(kid="client")
    jwk = dict(dpop.proof_jwk(small), x="AAAA")  # not a point of the curve
    for _ in range(3):
        with pytest.raises(ProofError):
            proof_key(jwk, "ES256")
    assert len(parses) == 3


def test_a_key_differing_in_any_member_is_another_key(parses):
    client = SigningKey.ec(kid="client")
    jwk = dpop.proof_jwk(client)
    proof_key(jwk, "ES256")
    with pytest.raises(ProofError):
        proof_key(dict(jwk, use="enc"), "ES256")  # refused by the checks, not answered from the memo
    with pytest.raises(ProofError):
        proof_key(dict(jwk, d="AAAA"), "ES256")  # private material: refused before the memo
    assert len(parses) == 2


def test_the_memo_is_bounded():
    memo = CheckedKeys(size=2)
    keys = [proof_key(dpop.proof_jwk(SigningKey.ec(kid=f"k{i}")), "ES256") for i in range(3)]
    for number, key in enumerate(keys):
        memo.put(str(number), key)
    assert memo.get("0") is None
    assert memo.get("1") is keys[1] and memo.get("2") is keys[2]


def test_a_key_that_cannot_be_named_is_refused_not_a_crash(parses):
    deep: list = []
    for _ in range(100_000):  # deeper than any encoder goes
        deep = [deep]
    for jwk in ({"kty": "EC", "crv": "P-256", "x": {1, 2}}, {"kty": "EC", "crv": "P-256", "x": deep}):
        with pytest.raises(ProofError):
            proof_key(jwk, "ES256")
    assert parses == []
