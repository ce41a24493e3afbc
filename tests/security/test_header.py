"""The JOSE header (RFC 7515 4.1, RFC 8725 3.10/3.11, RFC 9068 2.1/4).

Every token here except the controls is signed by a key that verifies, the
real one or the attacker's own: the header policy alone refuses it.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey, b64url, self_signed_certificate
from tests.support.tokens import access_claims, encode_segment, mint, sign

pytestmark = pytest.mark.django_db(databases=[])


def header_of(key: SigningKey, **members) -> dict:
    header = {"alg": key.alg, "kid": key.kid, "typ": "at+jwt"}
    for name, value in members.items():
        name = name.replace("_S256", "#S256")
        if value is ...:
            header.pop(name, None)
        else:
            header[name] = value
    return header


# -- typ (RFC 9068 2.1, 4; RFC 8725 3.11) ------------------------------------------------------
TYP_CASES = {
    "absent": ("WT", ...),
    "JWT": ("WT", "JWT"),
    "jwt": ("WT", "jwt"),
    "application/jwt": ("WT", "application/jwt"),
    "id_token+jwt": ("WT", "id_token+jwt"),
    "dpop+jwt": ("WT", "dpop+jwt"),
    "secevent+jwt": ("WT", "secevent+jwt"),
    "logout+jwt": ("WT", "logout+jwt"),
    "token-introspection+jwt": ("WT", "token-introspection+jwt"),
    "empty": ("WT", ""),
    "at+jwt with a trailing space": ("WT", "at+jwt "),
    "at+jwt with a parameter": ("WT", "at+jwt; charset=utf-8"),
    "at+jwt+x": ("WT", "at+jwt+x"),
    "application/ alone": ("WT", "application/"),
    "at-jwt": ("WT", "at-jwt"),
    "at+jwt": ("200", "at+jwt"),
    "application/at+jwt": ("200", "application/at+jwt"),
    "AT+JWT": ("200", "AT+JWT"),
    "Application/At+Jwt": ("200", "Application/At+Jwt"),
}


@pytest.mark.parametrize("name", list(TYP_CASES))
def test_typ_under_the_rfc9068_profile(judge, provider, signing_key, name):
    kind, typ = TYP_CASES[name]
    token = mint(signing_key, access_claims(provider.issuer), header=header_of(signing_key, typ=typ))
    judge.token(kind, token)


# -- keys named by the token ---------------------------------------------------------------------
@pytest.fixture
def attacker_site(signing_key):
    """A real listener an attacker controls, serving its own JWKS, certificate and anything else."""
    attacker_key = SigningKey.ec(kid="attacker-key")
    site = JWKSProvider()
    site.set_keys(attacker_key)
    site.key = attacker_key
    yield site
    site.stop()


def _attacker_tokens(site: JWKSProvider, real: SigningKey, issuer: str) -> dict[str, str]:
    key = site.key
    claims = access_claims(issuer)
    cert = self_signed_certificate(key.private_key, common_name="api1")
    cert_b64 = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    real_cert = real.certificate.public_bytes(serialization.Encoding.DER) if real.certificate else b""
    real_cert_b64 = base64.b64encode(real_cert).decode()
    url = site.jwks_uri
    return {
        "jwk: attacker key": mint(key, claims, header=header_of(key, jwk=key.public_jwk())),
        "jwk: attacker key with our kid": mint(
            SigningKey(key.private_key, real.kid, "ES256"),
            claims,
            header=header_of(key, kid=real.kid, jwk=dict(key.public_jwk(), kid=real.kid)),
        ),
        "jwk: our own key, really signed": mint(real, claims, header=header_of(real, jwk=real.public_jwk())),
        "jku: attacker JWKS": mint(key, claims, header=header_of(key, jku=url)),
        "jku: attacker JWKS with our kid": mint(
            SigningKey(key.private_key, real.kid, "ES256"), claims, header=header_of(key, kid=real.kid, jku=url)
        ),
        "jku: really signed": mint(real, claims, header=header_of(real, jku=url)),
        "x5u: attacker certificate": mint(key, claims, header=header_of(key, x5u=site.base_url + "/cert.pem")),
        "x5u: really signed": mint(real, claims, header=header_of(real, x5u=site.base_url + "/cert.pem")),
        "x5c: self-signed attacker certificate": mint(key, claims, header=header_of(key, x5c=[cert_b64])),
        "x5c: attacker certificate with our kid": mint(
            SigningKey(key.private_key, real.kid, "ES256"), claims, header=header_of(key, kid=real.kid, x5c=[cert_b64])
        ),
        "x5c: our certificate, attacker signature": mint(
            SigningKey(key.private_key, real.kid, "ES256"),
            claims,
            header=header_of(key, kid=real.kid, x5c=[real_cert_b64]),
        ),
        "x5c: our certificate, really signed": mint(real, claims, header=header_of(real, x5c=[real_cert_b64])),
        "x5c and x5u and jku and jwk together": mint(
            key, claims, header=header_of(key, x5c=[cert_b64], x5u=url, jku=url, jwk=key.public_jwk())
        ),
    }


KEY_IN_HEADER_CASES = [
    "jwk: attacker key",
    "jwk: attacker key with our kid",
    "jwk: our own key, really signed",
    "jku: attacker JWKS",
    "jku: attacker JWKS with our kid",
    "jku: really signed",
    "x5u: attacker certificate",
    "x5u: really signed",
    "x5c: self-signed attacker certificate",
    "x5c: attacker certificate with our kid",
    "x5c: our certificate, attacker signature",
    "x5c: our certificate, really signed",
    "x5c and x5u and jku and jwk together",
]


@pytest.mark.parametrize("algorithms", [["RS256"], ["RS256", "ES256"]], ids=["RS256 only", "ES256 allowed too"])
@pytest.mark.parametrize("name", KEY_IN_HEADER_CASES)
def test_keys_are_never_taken_from_the_token(
    judge, jwks_config, provider, signing_key, attacker_site, name, algorithms
):
    jwks_config(ALGORITHMS=algorithms)
    token = _attacker_tokens(attacker_site, signing_key, provider.issuer)[name]

    def listener_received_nothing(response):
        assert sum(attacker_site.hits.values()) == 0, f"fetched from the token's URL: {dict(attacker_site.hits)}"

    judge.token("WT", token, after=listener_received_nothing, description="unsupported header parameter")
    assert sum(attacker_site.hits.values()) == 0


# -- kid values ----------------------------------------------------------------------------------------
_PWNED = Path("/tmp") / f"jwks-auth-kid-{uuid.uuid4().hex}"
KIDS = {
    "random": uuid.uuid4().hex,
    "empty": "",
    "path traversal": "../../../../etc/passwd",
    "encoded path traversal": "..%2f..%2f..%2fetc%2fpasswd",
    "absolute path": "/dev/zero",
    "SQL injection": "' OR '1'='1' --",
    "SQL stacked": "x'; DROP TABLE keys; --",
    "shell substitution": f"$(touch {_PWNED})",
    "shell backticks": f"`touch {_PWNED}`",
    "shell pipe": f"| touch {_PWNED}",
    "NUL": "rsa-key-1\x00",
    "NUL inside": "rsa\x00key",
    "newline": "rsa-key-1\n",
    "CRLF header injection": "x\r\nX-Injected: 1",
    "10 KB": "k" * 10240,
    "513 chars": "k" * 513,
    "URL": "http://127.0.0.1:1/jwks",
    "case variant": "RSA-KEY-1",
    "trailing space": "rsa-key-1 ",
    "right-to-left override": "\u202e1-yek-asr",
    "format string": "%s%s%s%n",
    "template": "{{7*7}}${7*7}",
    "glob": "*",
    "regex": ".*",
    "lone surrogate": "\udc80",
}


@pytest.mark.parametrize("name", list(KIDS))
def test_hostile_kid_values(judge, provider, signing_key, name):
    token = mint(signing_key, access_claims(provider.issuer), header=header_of(signing_key, kid=KIDS[name]))
    judge.token("WT", token)
    assert not _PWNED.exists()


def test_hostile_kids_cost_at_most_one_extra_jwks_fetch(judge, provider, signing_key, make_token):
    """The unknown-kid cooldown: a flood of unknown kids cannot make us hammer the provider."""
    judge.token("200", make_token())
    before = provider.jwks_hits
    assert before == 1
    for name, kid in KIDS.items():
        for variant in range(3):
            token = mint(
                signing_key,
                access_claims(provider.issuer),
                header=header_of(signing_key, kid=f"{kid}{variant}" if variant else kid),
            )
            response = judge.send(f"Bearer {token}")
            assert response.status_code == 401, (name, response.status_code)
    assert provider.jwks_hits - before <= 1
    judge.valid_still_works()
    assert provider.jwks_hits - before <= 1


# -- member types --------------------------------------------------------------------------------------
BAD_VALUES = {
    "null": None,
    "zero": 0,
    "number": 256,
    "float": 1.5,
    "true": True,
    "false": False,
    "object": {"value": "x"},
    "array": ["x"],
    "empty array": [],
}


@pytest.mark.parametrize("member", ["kid", "alg", "typ"])
@pytest.mark.parametrize("value", list(BAD_VALUES))
def test_kid_alg_typ_of_the_wrong_type(judge, provider, signing_key, member, value):
    bad = BAD_VALUES[value]
    if value in ("object", "array"):  # wrap the right value, for parsers that unwrap
        right = {"kid": signing_key.kid, "alg": "RS256", "typ": "at+jwt"}[member]
        bad = {"value": right} if value == "object" else [right]
    header = header_of(signing_key, **{member: bad})
    signing_input = f"{encode_segment(header)}.{encode_segment(access_claims(provider.issuer))}"
    signature = sign(signing_input.encode(), signing_key, "RS256")
    judge.token("WT", f"{signing_input}.{b64url(signature)}")


@pytest.mark.parametrize("member", ["kid", "alg"])
def test_kid_or_alg_missing(judge, provider, signing_key, member):
    header = header_of(signing_key, **{member: ...})
    signing_input = f"{encode_segment(header)}.{encode_segment(access_claims(provider.issuer))}"
    judge.token("WT", f"{signing_input}.{b64url(sign(signing_input.encode(), signing_key, 'RS256'))}")


# -- crit, b64, unknown members ----------------------------------------------------------------------
CRIT = {
    '["foo"]': ["foo"],
    '["exp"]': ["exp"],
    "[]": [],
    '["b64"]': ["b64"],
    '["kid"]': ["kid"],
    "string": "foo",
    "null": None,
}


@pytest.mark.parametrize("name", list(CRIT))
def test_crit(judge, provider, signing_key, name):
    extra = {"crit": CRIT[name]}
    if name == '["exp"]':
        extra["exp"] = 9999999999
    if name == '["foo"]':
        extra["foo"] = "bar"
    token = mint(signing_key, access_claims(provider.issuer), header=header_of(signing_key, **extra))
    judge.token("WT", token)


@pytest.mark.parametrize("encoded", [False, True], ids=["unencoded payload (RFC 7797)", "b64 false, payload encoded"])
def test_b64_false(judge, provider, signing_key, encoded):
    header = header_of(signing_key, b64=False, crit=["b64"])
    payload = json.dumps(access_claims(provider.issuer), separators=(",", ":"))
    head = encode_segment(header)
    if encoded:
        signing_input = f"{head}.{encode_segment(payload)}"
        token = f"{signing_input}.{b64url(sign(signing_input.encode(), signing_key))}"
    else:
        # RFC 7797: the signature covers the raw payload; detached, the token has an empty payload.
        signature = sign(f"{head}.".encode() + payload.encode(), signing_key)
        token = f"{head}.{encode_segment(payload)}.{b64url(signature)}"
    judge.token("WT", token)


def test_b64_true_without_crit_is_still_an_unknown_member(judge, provider, signing_key):
    token = mint(signing_key, access_claims(provider.issuer), header=header_of(signing_key, b64=True))
    judge.token("WT", token)


UNKNOWN_MEMBERS = {
    "cty JWT (nested token)": {"cty": "JWT"},
    "cty at+jwt": {"cty": "at+jwt"},
    "zip DEF": {"zip": "DEF"},
    "enc": {"enc": "A256GCM"},
    "epk": {"epk": {"kty": "EC"}},
    "iv": {"iv": "AAAA"},
    "p2s": {"p2s": "AAAA", "p2c": 1},
    "nonce": {"nonce": "n"},
    "url": {"url": "https://example.org"},
    "iss replicated in the header": {"iss": "https://evil.example"},
    "aud replicated in the header": {"aud": "api1"},
    "ppt": {"ppt": "shaken"},
    "foo": {"foo": "bar"},
    "__proto__": {"__proto__": {"alg": "none"}},
    "Alg (case variant)": {"Alg": "none"},
    "kid with a space": {"kid ": "x"},
    "x5t of the wrong type": {"x5t": 1},
    "x5t#S256 of the wrong type": {"x5t_S256": None},
}


@pytest.mark.parametrize("name", list(UNKNOWN_MEMBERS))
def test_header_members_outside_the_allowlist(judge, provider, signing_key, name):
    token = mint(signing_key, access_claims(provider.issuer), header=header_of(signing_key, **UNKNOWN_MEMBERS[name]))
    judge.token("WT", token)


@pytest.mark.parametrize("members", [{"x5t": "abc"}, {"x5t_S256": "abc"}], ids=["x5t", "x5t#S256"])
def test_allowed_informational_members_are_accepted_control(judge, provider, signing_key, members):
    token = mint(signing_key, access_claims(provider.issuer), header=header_of(signing_key, **members))
    judge.token("200", token)
