"""Property-based fuzzing of the header, the token and the claims, on /me.

Properties: only 400/401/403/503 for anything not signed by the real key
(never 200, never another 5xx), a well-formed Bearer challenge, the token never
echoed or logged, and a valid token still accepted after every example. The
budget is fixed and the runs derandomised so CI time is stable.
"""

from __future__ import annotations

import base64
import binascii
import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import REFUSALS, assert_no_leak, bearer_params, secrets_of
from tests.support.keys import SigningKey, b64url
from tests.support.tokens import access_claims, encode_segment, mint, sign

pytestmark = pytest.mark.django_db(databases=[])

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

_ATTACKER = SigningKey.ec(kid="rsa-key-1")  # carries the real kid on purpose


def _check_refused(judge, response, token: str) -> None:
    if response.status_code not in REFUSALS:
        raise AssertionError(f"status {response.status_code} for input not signed by the real key")
    if response.status_code in (400, 401, 403):
        bearer_params(response)
    assert_no_leak(response, secrets_of(token), judge.caplog)


# -- the whole Authorization header ----------------------------------------------------------------
_schemes = st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Token", "DPoP", "", "Bearer,Bearer"])
_seps = st.sampled_from([" ", "  ", "\t", ",", "", ", ", " ,"])
_credential = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=B64URL + ".=+/~ ,\t\"'\\", max_size=300),
)
_headers = st.one_of(
    st.text(max_size=200),
    st.builds(lambda s, sep, c: f"{s}{sep}{c}", _schemes, _seps, _credential),
    st.builds(lambda c1, c2: f"Bearer {c1},Bearer {c2}", _credential, _credential),
)


@FUZZ
@given(header=_headers)
def test_fuzz_authorization_header(judge, header):
    judge.caplog.clear()
    response = judge.send(header)
    credentials = header.partition(" ")[2].strip(" ")
    _check_refused(judge, response, credentials)
    judge.valid_still_works()


# -- the token string -----------------------------------------------------------------------------------
_segment = st.one_of(
    st.text(alphabet=B64URL, max_size=80),
    st.binary(max_size=120).map(b64url),
    st.text(max_size=40).map(lambda s: b64url(s.encode("utf-8", "surrogatepass"))),
)


def _json_values():
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=12,
    )


_header_names = st.sampled_from(
    ["alg", "kid", "typ", "jku", "jwk", "x5u", "x5c", "crit", "b64", "cty", "zip", "enc", "x5t"]
)
_attacker_headers = st.dictionaries(_header_names | st.text(max_size=6), _json_values(), max_size=6)


@st.composite
def _attacker_signed(draw):
    """Structurally plausible tokens signed by a key that is not the provider's."""
    header = {
        "alg": draw(st.sampled_from(["ES256", "RS256", "none", "HS256", "EdDSA"])),
        "kid": "rsa-key-1",
        "typ": "at+jwt",
    }
    header.update(draw(_attacker_headers))
    claims = access_claims("http://127.0.0.1:1")
    claims.update(draw(st.dictionaries(st.sampled_from(list(claims) + ["scope", "nonce"]), _json_values(), max_size=4)))
    signing_input = f"{encode_segment(header)}.{encode_segment(claims)}"
    sig = sign(signing_input.encode(), _ATTACKER, "ES256")
    return f"{signing_input}.{b64url(sig)}"


_tokens = st.one_of(
    st.text(alphabet=B64URL + ".", max_size=400),
    st.text(alphabet=B64URL + ".=+/\t\n%~", max_size=400),
    st.lists(_segment, min_size=1, max_size=6).map(".".join),
    st.text(max_size=200),
    _attacker_signed(),
)


@FUZZ
@given(token=_tokens)
def test_fuzz_token_string(judge, provider, token):
    judge.caplog.clear()
    response = judge.send(f"Bearer {token}")
    _check_refused(judge, response, token)
    judge.valid_still_works()


def _issuer_token(provider, signing_key, **claims) -> str:
    return mint(signing_key, access_claims(provider.issuer, **claims))


@st.composite
def _mutations(draw, token: str, other: str):
    """A valid token changed by 1-3 mutations (never equal to the original)."""
    parts = token.split(".")
    current = token
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(["char", "bit", "delete", "insert", "swap", "duplicate", "splice", "truncate", "case"])
        )
        if op == "char" and current:
            i = draw(st.integers(0, len(current) - 1))
            current = current[:i] + draw(st.sampled_from(B64URL + ".")) + current[i + 1 :]
        elif op == "bit":
            segs = current.split(".")
            j = draw(st.integers(0, len(segs) - 1))
            try:
                raw = bytearray(base64.urlsafe_b64decode(segs[j] + "=" * (-len(segs[j]) % 4)))
            except (binascii.Error, ValueError):
                raw = bytearray()
            if raw:
                k = draw(st.integers(0, len(raw) * 8 - 1))
                raw[k // 8] ^= 1 << (k % 8)
                segs[j] = b64url(bytes(raw))
                current = ".".join(segs)
        elif op == "delete" and current:
            i = draw(st.integers(0, len(current) - 1))
            current = current[:i] + current[i + draw(st.integers(1, 8)) :]
        elif op == "insert":
            i = draw(st.integers(0, len(current)))
            current = current[:i] + draw(st.text(alphabet=B64URL + ".=", min_size=1, max_size=8)) + current[i:]
        elif op == "swap":
            segs = current.split(".")
            current = ".".join(draw(st.permutations(segs)))
        elif op == "duplicate":
            segs = current.split(".")
            j = draw(st.integers(0, len(segs) - 1))
            segs.insert(j, segs[j])
            current = ".".join(segs)
        elif op == "splice":  # cut and paste a segment of another valid token
            segs, theirs = current.split("."), other.split(".")
            j = draw(st.integers(0, min(len(segs), len(theirs)) - 1))
            segs[j] = theirs[j]
            current = ".".join(segs)
        elif op == "truncate" and current:
            current = current[: draw(st.integers(0, len(current) - 1))]
        elif op == "case" and current:
            i = draw(st.integers(0, len(current) - 1))
            current = current[:i] + current[i].swapcase() + current[i + 1 :]
    return current, parts


@FUZZ
@given(data=st.data())
def test_fuzz_mutations_of_a_valid_token(judge, provider, signing_key, data):
    judge.caplog.clear()
    token = _mutation_base(provider, signing_key)
    other = _mutation_other(provider, signing_key)
    mutated, _ = data.draw(_mutations(token, other))
    if mutated in (token, other) or not mutated:
        return  # the mutations cancelled out (e.g. two swaps)
    response = judge.send(f"Bearer {mutated}")
    _check_refused(judge, response, mutated)
    judge.valid_still_works()


_BASES: dict[str, tuple[str, str]] = {}


def _mutation_base(provider, signing_key) -> str:
    if provider.issuer not in _BASES:
        _BASES.clear()
        _BASES[provider.issuer] = (
            _issuer_token(provider, signing_key),
            _issuer_token(provider, signing_key, sub="other", scope="api1 admin"),
        )
    return _BASES[provider.issuer][0]


def _mutation_other(provider, signing_key) -> str:
    _mutation_base(provider, signing_key)
    return _BASES[provider.issuer][1]


def test_mutation_base_is_valid(judge, provider, signing_key):
    """The control: the token the mutations start from is accepted as is."""
    judge.token("200", _mutation_base(provider, signing_key))
    judge.token("200", _mutation_other(provider, signing_key))


# -- claims and headers signed by the real key ---------------------------------------------------------------
_claim_names = st.sampled_from(
    ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "azp", "at_hash", "nonce", "cnf"]
)
_claim_values = st.one_of(
    _json_values(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400), 2**63, 1e308, -1e308, 0, "", "api1", ["api1"], "api1 admin"]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
)


_numbers = st.one_of(
    st.integers(min_value=-(2**1400), max_value=2**1400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([10**400, -(10**400), 2**1024, 2**63, 1e308, -1e308, 5e-324, 0, -1]),
    st.integers(min_value=-(10**10), max_value=10**10).map(lambda d: int(time.time()) + d),
)


@FUZZ
@given(
    changes=st.dictionaries(_claim_names, _claim_values | st.just(None), min_size=1, max_size=5),
    removed=st.sets(_claim_names, max_size=3),
)
def test_fuzz_claims_signed_by_the_real_key(judge, provider, signing_key, changes, removed):
    """Real signatures over hostile claims: a refusal or 200, never 5xx; 200 only for valid claims."""
    _judge_signed_claims(judge, provider, signing_key, changes, removed)


@FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(["exp", "nbf", "iat"]), _numbers | _json_values(), min_size=1, max_size=3)
)
def test_fuzz_numeric_dates_signed_by_the_real_key(judge, provider, signing_key, changes):
    """The same, focused on NumericDate values: huge, tiny, fractional, negative, of the wrong type."""
    _judge_signed_claims(judge, provider, signing_key, changes, set())


def _judge_signed_claims(judge, provider, signing_key, changes, removed) -> None:
    judge.caplog.clear()
    claims = access_claims(provider.issuer)
    claims.update(changes)
    for name in removed:
        claims.pop(name, None)
    token = mint(signing_key, claims)
    response = judge.send(f"Bearer {token}")
    if response.status_code not in {200} | REFUSALS or response.status_code == 503:
        raise AssertionError(f"status {response.status_code} for signed claims")
    if response.status_code == 200:
        now = time.time()
        assert claims["iss"] == provider.issuer
        aud = claims["aud"]
        assert aud == "api1" or (isinstance(aud, list) and "api1" in aud and all(isinstance(a, str) for a in aud))
        assert type(claims["exp"]) in (int, float) and math.isfinite(claims["exp"]) and claims["exp"] > now - 61
        for name in ("sub", "client_id", "jti"):
            assert isinstance(claims[name], str) and claims[name]
        for name in ("nbf", "iat"):
            if name in claims:
                assert type(claims[name]) in (int, float) and claims[name] <= now + 61
        scope = claims.get("scope")
        assert "api1" in (scope.split() if isinstance(scope, str) else scope)
        assert not {"at_hash", "c_hash", "s_hash"} & claims.keys()
    else:
        bearer_params(response)
    assert_no_leak(response, secrets_of(token), judge.caplog)
    judge.valid_still_works()


_real_header_extra = st.dictionaries(_header_names | st.text(max_size=6), _json_values(), max_size=3)


@FUZZ
@given(
    extra=_real_header_extra,
    alg=st.sampled_from(["RS256", "RS384", "PS256"]),
    typ=st.sampled_from(["at+jwt", "AT+JWT", "application/at+jwt", "JWT", None, 1, ""]),
)
def test_fuzz_headers_signed_by_the_real_key(judge, provider, signing_key, extra, alg, typ):
    """Real signatures under hostile headers: 200 only for the allowlisted shape."""
    judge.caplog.clear()
    header = {"alg": alg, "kid": signing_key.kid}
    if typ is not None:
        header["typ"] = typ
    header.update(extra)
    signing_input = f"{encode_segment(header)}.{encode_segment(access_claims(provider.issuer))}"
    real_alg = alg if header.get("alg") == alg else "RS256"
    token = f"{signing_input}.{b64url(sign(signing_input.encode(), signing_key, real_alg))}"
    response = judge.send(f"Bearer {token}")
    if response.status_code not in {200} | REFUSALS or response.status_code == 503:
        raise AssertionError(f"status {response.status_code} for a signed header")
    if response.status_code == 200:
        assert header.keys() <= {"alg", "kid", "typ", "x5t", "x5t#S256"}
        assert header["alg"] == "RS256" and header["kid"] == signing_key.kid
        assert isinstance(header.get("typ"), str) and header["typ"].lower().removeprefix("application/") == "at+jwt"
    assert_no_leak(response, secrets_of(token), judge.caplog)
    judge.valid_still_works()


def test_fuzz_properties_can_fail(judge, provider, signing_key):
    """Self-test: the refusal property rejects a 200 (so the fuzz tests are not vacuous)."""
    response = judge.send(f"Bearer {_issuer_token(provider, signing_key)}")
    assert response.status_code == 200
    with pytest.raises(AssertionError):
        _check_refused(judge, response, "x" * 20)
