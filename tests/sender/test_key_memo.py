"""The memos of checked proof keys and headers: only what passed, by every member, bounded."""

from __future__ import annotations

import pytest

from jwks_auth.sender import ProofError, RequestDetails
from jwks_auth.sender import proof as proof_module
from jwks_auth.sender import proof_key as jwk_module
from jwks_auth.sender.proof import ProofVerifier
from jwks_auth.sender.proof_key import CheckedKeys, proof_key
from jwks_auth.sender.settings import DPoPSettings
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


# -- the verifier's memo of checked proof headers ------------------------------------------------
URL = "https://api.example.com/me"


def _verifier(algorithms: frozenset[str] = frozenset({"ES256", "EdDSA"})) -> ProofVerifier:
    return ProofVerifier(DPoPSettings(algorithms=algorithms), None, None)


def _facts() -> RequestDetails:
    return RequestDetails("GET", "https", "api.example.com", "/me", "203.0.113.9", {})


def test_a_known_header_is_not_checked_again_but_every_signature_is(parses):
    client = SigningKey.ec(kid="client")
    verifier = _verifier()
    for _ in range(3):
        verifier.verify(dpop.make_proof(client, "GET", URL, token="tok"), _facts(), access_token="tok")
    assert len(parses) == 1 and len(verifier.checked_headers) == 1
    header, payload, signature = dpop.make_proof(client, "GET", URL, token="tok").split(".")
    other = dpop.make_proof(client, "GET", URL, token="tok").split(".")[2]
    with pytest.raises(ProofError, match="signature"):  # the same known header, another proof's signature
        verifier.verify(f"{header}.{payload}.{other}", _facts(), access_token="tok")


def test_a_header_differing_in_one_member_is_checked_in_full(parses):
    client = SigningKey.ec(kid="client")
    verifier = _verifier()
    verifier.verify(dpop.make_proof(client, "GET", URL, token="tok"), _facts(), access_token="tok")
    for header in (
        {"typ": "dpop+jwt", "alg": "ES256", "jwk": dict(dpop.proof_jwk(client), use="enc")},
        {"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop.proof_jwk(client), "jku": "https://evil.example/"},
        {"typ": "jwt", "alg": "ES256", "jwk": dpop.proof_jwk(client)},
    ):
        with pytest.raises(ProofError):
            verifier.verify(
                dpop.make_proof(client, "GET", URL, token="tok", header=header), _facts(), access_token="tok"
            )
    assert len(verifier.checked_headers) == 1


def test_a_refused_header_is_not_remembered():
    client = SigningKey.ed25519(kid="client")
    verifier = _verifier(frozenset({"ES256"}))  # EdDSA not allowed here
    proof = dpop.make_proof(client, "GET", URL, token="tok")
    for _ in range(2):
        with pytest.raises(ProofError, match="algorithm"):
            verifier.verify(proof, _facts(), access_token="tok")
    assert len(verifier.checked_headers) == 0


def test_the_header_memo_is_per_verifier_and_bounded(monkeypatch):
    monkeypatch.setattr(proof_module, "HEADER_MEMO_SIZE", 2)
    verifier = _verifier()
    for number in range(4):
        client = SigningKey.ec(kid=f"c{number}")
        verifier.verify(dpop.make_proof(client, "GET", URL, token="tok"), _facts(), access_token="tok")
    assert len(verifier.checked_headers) == 2
    assert len(_verifier().checked_headers) == 0
