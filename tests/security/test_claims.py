"""Claims (RFC 7519 4.1, RFC 9068 2.2 and 4, RFC 8725 3.8-3.10).

Tokens are signed by the real key unless the case is about keeping an
original signature: only the claim rules refuse them.
"""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.security.conftest import MISSING
from tests.support.keys import b64url
from tests.support.tokens import access_claims, encode_segment, mint

pytestmark = pytest.mark.django_db(databases=[])

REQUIRED = ["iss", "exp", "aud", "sub", "iat", "client_id", "jti"]


@pytest.mark.parametrize("claim", REQUIRED)
def test_required_claim_missing(judge, claims_token, claim):
    """RFC 9068 2.2: all seven are required under the default rfc9068 profile (the documented policy)."""
    judge.token("WT", claims_token(**{claim: MISSING}))


@pytest.mark.parametrize("claim", ["sub", "iat", "jti"])
def test_profile_without_those_requirements_accepts_their_absence_control(judge, jwks_config, claims_token, claim):
    """The control: the requirement comes from the profile (identityserver4 does not require them)."""
    jwks_config(PROFILE="identityserver4")
    judge.token("200", claims_token(**{claim: MISSING}))


def _now() -> int:
    return int(time.time())


TIME_CASES = {
    # name: (expected, claim, offset from now)
    "exp past the 60 s leeway": ("WT", "exp", -90),
    "exp long past": ("WT", "exp", -86400),
    "exp inside the leeway": ("200", "exp", -30),
    "exp now": ("200", "exp", 0),
    "nbf beyond the leeway": ("WT", "nbf", 120),
    "nbf far in the future": ("WT", "nbf", 10**6),
    "nbf inside the leeway": ("200", "nbf", 30),
    "iat beyond the leeway": ("WT", "iat", 120),
    "iat far in the future": ("WT", "iat", 10**6),
    "iat inside the leeway": ("200", "iat", 30),
}


@pytest.mark.parametrize("name", list(TIME_CASES))
def test_time_claims_and_leeway(judge, claims_token, name):
    kind, claim, offset = TIME_CASES[name]
    judge.token(kind, claims_token(**{claim: _now() + offset}))


def test_leeway_is_configurable(judge, jwks_config, claims_token):
    jwks_config(LEEWAY=0)
    judge.token("WT", claims_token(exp=_now() - 5))


def _raw_payload_token(signing_key, issuer: str, claim: str, raw: str) -> str:
    """Claims with one value written verbatim as JSON text (for 1e400, 10**400 ...)."""
    claims = access_claims(issuer)
    claims.pop(claim, None)
    body = json.dumps(claims, separators=(",", ":"))[:-1] + f',"{claim}":{raw}}}'
    return mint(signing_key, body)


NUMERIC_DATES = {
    "string": '"9999999999"',
    "true": "true",
    "false": "false",
    "null": "null",
    "list": "[9999999999]",
    "object": '{"value":9999999999}',
    "1e400 (infinite)": "1e400",
    "-1e400": "-1e400",
    "10**400": "1" + "0" * 400,
    "-10**400": "-1" + "0" * 400,
    "4301 digits": "1" * 4301,
}


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("name", list(NUMERIC_DATES))
def test_numeric_dates_of_the_wrong_type_or_out_of_range(judge, provider, signing_key, claim, name):
    raw = NUMERIC_DATES[name]
    if claim != "exp" and name in ("-1e400", "-10**400"):
        raw = raw.lstrip("-")  # a far-past nbf/iat is harmless; test the overflow the other way
    judge.token("WT", _raw_payload_token(signing_key, provider.issuer, claim, raw))


def test_fractional_numeric_date_is_accepted_control(judge, claims_token):
    judge.token("200", claims_token(exp=time.time() + 300.5, iat=time.time() - 0.25))


@pytest.fixture
def issuer(provider):
    return provider.issuer


ISSUERS = {
    "different": lambda iss: "https://evil.example",
    "substring": lambda iss: iss[:-1],
    "without the port": lambda iss: iss.rsplit(":", 1)[0],
    "superstring": lambda iss: iss + "0",
    "trailing slash": lambda iss: iss + "/",
    "upper case": lambda iss: iss.upper(),
    "scheme upper case": lambda iss: "HTTP" + iss[4:],
    "https instead of http": lambda iss: "https" + iss[4:],
    "localhost for 127.0.0.1": lambda iss: iss.replace("127.0.0.1", "localhost"),
    "leading space": lambda iss: " " + iss,
    "trailing NUL": lambda iss: iss + "\x00",
    "dot segment": lambda iss: iss + "/.",
    "in a list": lambda iss: [iss],
    "empty": lambda iss: "",
    "null": lambda iss: None,
    "number": lambda iss: 1,
}


@pytest.mark.parametrize("name", list(ISSUERS))
def test_issuer(judge, claims_token, issuer, name):
    judge.token("WT", claims_token(iss=ISSUERS[name](issuer)))


AUDIENCES = {
    "missing": ("WT", MISSING),
    "empty string": ("WT", ""),
    "empty list": ("WT", []),
    "another API": ("WT", "api2"),
    "substring": ("WT", "api"),
    "superstring": ("WT", "api12"),
    "case": ("WT", "API1"),
    "padded": ("WT", " api1"),
    "the issuer": ("WT", "{iss}"),
    "client id": ("WT", "client"),
    "list of numbers": ("WT", [1]),
    "list with null": ("WT", [None]),
    "nested list": ("WT", [["api1"]]),
    "list of ours and a number": ("WT", ["api1", 1]),
    "list of ours and null": ("WT", ["api1", None]),
    "object": ("WT", {"api1": True}),
    "number": ("WT", 1),
    "true": ("WT", True),
    "null": ("WT", None),
    "ours": ("200", "api1"),
    "list containing ours": ("200", ["https://other.example", "api1"]),
    "IdentityServer4 2.x shape": ("200", ["{iss}/resources", "api1"]),
}


@pytest.mark.parametrize("name", list(AUDIENCES))
def test_audience(judge, claims_token, issuer, name):
    kind, aud = AUDIENCES[name]
    if isinstance(aud, str):
        aud = aud.replace("{iss}", issuer)
    elif isinstance(aud, list):
        aud = [a.replace("{iss}", issuer) if isinstance(a, str) else a for a in aud]
    judge.token(kind, claims_token(aud=aud))


# name -> (header typ, claims, what refuses it)
ID_TOKENS = {
    "typ JWT, aud client id, nonce, at_hash": (
        "JWT",
        dict(aud="js_oidc", nonce="n-0S6_WzA2Mj", at_hash="77QmUPtjPfzWtF2AnpK9RQ"),
        "token type",
    ),
    "no typ, aud client id, nonce": (None, dict(aud="js_oidc", nonce="n-0S6_WzA2Mj"), "token type"),
    "typ JWT, aud api1, nonce": ("JWT", dict(aud="api1", nonce="n"), "token type"),
    "typ id_token+jwt, aud api1": ("id_token+jwt", dict(aud="api1"), "token type"),
    "typ at+jwt, aud client id": ("at+jwt", dict(aud="js_oidc", nonce="n"), "audience"),
    "typ at+jwt, aud api1, at_hash": (
        "at+jwt",
        dict(aud="api1", nonce="n", at_hash="77QmUPtjPfzWtF2AnpK9RQ"),
        "ID token",
    ),
    "typ at+jwt, aud api1, c_hash": ("at+jwt", dict(aud="api1", c_hash="LDktKdoQak3Pk0cnXxCltA"), "ID token"),
    "typ at+jwt, aud api1, s_hash": ("at+jwt", dict(aud="api1", s_hash="x"), "ID token"),
}


@pytest.mark.parametrize("name", list(ID_TOKENS))
def test_id_token_from_the_same_provider(judge, claims_token, name):
    """RFC 9068 4 / RFC 8725 3.11: an ID token is not an access token, even from our issuer.

    Every other claim is kept valid (client_id, jti, scope api1) so that the
    ID token's own features are what refuses it; the description says which.
    """
    typ, shape, reason = ID_TOKENS[name]
    judge.token("WT", claims_token(typ=typ, auth_time=_now() - 10, azp="js_oidc", **shape), description=reason)


# -- claims changed while keeping the original signature ------------------------------------------
WHOLE_PAYLOADS = {
    "null": b"null",
    "true": b"true",
    "false": b"false",
    "0": b"0",
    "string": b'"x"',
    "array": b"[]",
    "empty object": b"{}",
}


@pytest.mark.parametrize("name", list(WHOLE_PAYLOADS))
def test_payload_replaced_keeping_the_signature(judge, token, name):
    head, _, signature = token.split(".")
    judge.token("WT", f"{head}.{b64url(WHOLE_PAYLOADS[name])}.{signature}")


VALUES = {
    "null": None,
    "true": True,
    "false": False,
    "0": 0,
    "empty string": "",
    "string": "x",
    "empty list": [],
    "empty object": {},
}
CLAIMS = ["iss", "exp", "aud", "sub", "iat", "nbf", "client_id", "jti", "scope"]


@pytest.mark.parametrize("claim", CLAIMS)
@pytest.mark.parametrize("value", list(VALUES))
def test_claim_changed_keeping_the_original_signature(judge, token, claim, value):
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[claim] = VALUES[value]
    judge.token("WT", f"{head}.{encode_segment(claims)}.{signature}")


def _resigned_expectation(claim: str, value: str) -> str:
    legit = {("sub", "string"), ("client_id", "string"), ("jti", "string"), ("iat", "0"), ("nbf", "0")}
    return "200" if (claim, value) in legit else "WT"


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c != "scope"])
@pytest.mark.parametrize("value", list(VALUES))
def test_claim_of_the_wrong_type_signed_by_the_real_key(judge, claims_token, claim, value):
    """The same changes, re-signed: type and emptiness checks refuse what the signature no longer does."""
    judge.token(_resigned_expectation(claim, value), claims_token(**{claim: VALUES[value]}))


SCOPES = {
    "null": ("WS", None),
    "empty string": ("WS", ""),
    "another scope": ("WS", "openid"),
    "substring": ("WS", "api"),
    "superstring": ("WS", "api12"),
    "case": ("WS", "API1"),
    "comma separated": ("WS", "openid,api1"),
    "empty list": ("WS", []),
    "number": ("WT", 0),
    "true": ("WT", True),
    "object": ("WT", {"api1": True}),
    "list with a number": ("WT", ["api1", 1]),
    "list with null": ("WT", [None]),
    "ours": ("200", "api1"),
    "ours among others": ("200", "openid api1 profile"),
    "ours as a list": ("200", ["openid", "api1"]),
}


@pytest.mark.parametrize("name", list(SCOPES))
def test_scope_claim(judge, claims_token, name):
    kind, scope = SCOPES[name]
    judge.token(kind, claims_token(scope=scope), scopes="api1" if kind == "WS" else None)


@pytest.mark.parametrize("claim", ["azp", "cid", "token_use"])
def test_optional_string_claims_must_be_strings(judge, claims_token, claim):
    judge.token("WT", claims_token(**{claim: 1}))


# -- time boundaries (RFC 7519 4.1.4 and 4.1.5), with a fixed clock --------------------------------
NOW = 1_700_000_000.0
LEEWAY = 60.0


def _time_claims(issuer: str, **times: float) -> dict:
    """Claims on the fixed clock: issued 5 minutes before NOW, valid 10 minutes after, then ``times``."""
    claims = access_claims(issuer)
    claims.update({"iat": NOW - 300, "nbf": NOW - 300, "exp": NOW + 600}, **times)
    return claims


@pytest.mark.parametrize("offset, accepted", [(-0.001, True), (0.0, False), (0.001, False), (-1, True)])
def test_exp_is_refused_on_or_after_exp_plus_leeway(jwks_config, provider, offset, accepted):
    """``now == exp + leeway`` is "on or after": refused."""
    from jwks_auth.conf.settings import issuer_configs
    from jwks_auth.exceptions import ExpiredToken
    from jwks_auth.validation.claims import check_claims

    config = issuer_configs()[0]
    assert config.leeway == LEEWAY
    claims = _time_claims(provider.issuer, exp=NOW - LEEWAY - offset)
    if accepted:
        check_claims(claims, config, NOW)
    else:
        with pytest.raises(ExpiredToken):
            check_claims(claims, config, NOW)


@pytest.mark.parametrize("claim", ["nbf", "iat"])
@pytest.mark.parametrize("offset, accepted", [(0.0, True), (-1, True), (0.001, False)])
def test_nbf_and_iat_are_accepted_up_to_now_plus_leeway(jwks_config, provider, claim, offset, accepted):
    """The mirror image: valid "on or after" nbf (minus the leeway), so ``nbf == now + leeway`` passes."""
    from jwks_auth.conf.settings import issuer_configs
    from jwks_auth.exceptions import InvalidClaims
    from jwks_auth.validation.claims import check_claims

    config = issuer_configs()[0]
    claims = _time_claims(provider.issuer, **{claim: NOW + LEEWAY + offset})
    if accepted:
        check_claims(claims, config, NOW)
    else:
        with pytest.raises(InvalidClaims):
            check_claims(claims, config, NOW)


@pytest.mark.parametrize("offset, accepted", [(-0.001, True), (0.0, False)])
def test_introspected_exp_follows_the_same_boundary(jwks_config, provider, offset, accepted):
    from jwks_auth.conf.settings import issuer_configs
    from jwks_auth.exceptions import ExpiredToken
    from jwks_auth.validation.introspection import Introspector

    jwks_config(INTROSPECTION={"ENDPOINT": provider.base_url + "/introspect", "AUTH_METHOD": "none"})
    introspector = Introspector(issuer_configs()[0])
    claims = {"iss": provider.issuer, "exp": NOW - LEEWAY - offset, "aud": "api1"}
    if accepted:
        introspector.rules.check(claims, introspector.config, NOW, introspected=True)
    else:
        with pytest.raises(ExpiredToken):
            introspector.rules.check(claims, introspector.config, NOW, introspected=True)


def test_exp_plus_leeway_equal_to_the_current_second_is_refused(judge, claims_token):
    """Through /me: exp + leeway is the current whole second, so now >= it whenever the check runs."""
    judge.token("WT", claims_token(exp=_now() - 60), description="expired")
    judge.token("200", claims_token(exp=_now() - 60 + 30))
