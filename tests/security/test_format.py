"""RFC 7515 compact serialization, strictly: the token's shape (RFC 8725 3.1, 3.11).

Every token here is refused before any key is looked at: the provider
receives no request at all while it is judged.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.support.keys import b64url
from tests.support.tokens import access_claims, encode_segment, mint

pytestmark = pytest.mark.django_db(databases=[])


def no_key_lookup(provider):
    def check(response):
        assert sum(provider.hits.values()) == 0, f"keys were fetched for a malformed token: {dict(provider.hits)}"

    return check


def _jwe(token: str) -> str:
    header = b64url(json.dumps({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "rsa-key-1", "cty": "JWT"}).encode())
    return ".".join([header, b64url(b"k" * 256), b64url(b"i" * 12), token.split(".")[1], b64url(b"t" * 16)])


# name -> function(valid token) -> attack token
SHAPES = {
    "one part": lambda t: t.split(".")[1],
    "two parts": lambda t: ".".join(t.split(".")[:2]),
    "two parts with trailing dot": lambda t: ".".join(t.split(".")[:2]) + ".",
    "four parts": lambda t: t + "." + t.split(".")[2],
    "four parts, empty last": lambda t: t + ".",
    "five parts (JWE shape)": lambda t: t + ".AAAA.BBBB",
    "JWE with RSA-OAEP header": _jwe,
    "leading dot": lambda t: "." + t,
    "empty header segment": lambda t: "." + ".".join(t.split(".")[1:]),
    "empty payload segment": lambda t: t.split(".")[0] + ".." + t.split(".")[2],
    "only dots": lambda t: "..",
    "double dot inside": lambda t: t.replace(".", "..", 1),
    "JSON serialization (general)": lambda t: json.dumps(
        {"payload": t.split(".")[1], "signatures": [{"protected": t.split(".")[0], "signature": t.split(".")[2]}]},
        separators=(",", ":"),
    ),
    "JSON serialization (flattened)": lambda t: json.dumps(
        {"payload": t.split(".")[1], "protected": t.split(".")[0], "signature": t.split(".")[2]}, separators=(",", ":")
    ),
    # python-jwt CVE-2022-39227: a JSON document whose first key is a compact token.
    "compact/JSON polyglot (key)": lambda t: json.dumps(
        {t: "", "protected": t.split(".")[0], "payload": t.split(".")[1], "signature": t.split(".")[2]},
        separators=(",", ":"),
    ),
    "compact/JSON polyglot (suffix)": lambda t: t + '{"payload":"' + t.split(".")[1] + '"}',
    "compact/JSON polyglot (prefix)": lambda t: '{"a":"' + t + '"}',
    "token quoted": lambda t: '"' + t + '"',
    "token url-encoded dots": lambda t: t.replace(".", "%2E"),
    "token doubled": lambda t: t + t,
    "token with a second token after a comma": lambda t: t + "," + t,
    "header repeated": lambda t: t.split(".")[0] + "." + t,
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_wrong_number_of_parts_or_serialization(judge, provider, token, name):
    judge.token("WT", SHAPES[name](token), after=no_key_lookup(provider))


_BAD_CHARS = {
    "padding =": "=",
    "padding ==": "==",
    "plus": "+",
    "slash": "/",
    "tab": "\t",
    "newline": "\n",
    "carriage return": "\r",
    "vertical tab": "\x0b",
    "form feed": "\x0c",
    "no-break space": "\xa0",
    "line separator": "\u2028",
    "ideographic space": "\u3000",
    "zero-width space": "\u200b",
    "NUL": "\x00",
    "tilde": "~",
    "percent": "%",
    "asterisk": "*",
    "comma": ",",
    "semicolon": ";",
    "backslash": "\\",
    "latin letter e-acute": "\xe9",
    "fullwidth A": "\uff21",
    "arabic-indic digit": "\u0663",
    "lone surrogate": "\ud800",
}


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
@pytest.mark.parametrize("char", list(_BAD_CHARS))
@pytest.mark.parametrize("where", ["end", "middle"])
def test_characters_outside_base64url(judge, provider, token, segment, char, where):
    parts = token.split(".")
    bad = _BAD_CHARS[char]
    if where == "end":
        parts[segment] += bad
    else:
        middle = len(parts[segment]) // 2
        parts[segment] = parts[segment][:middle] + bad + parts[segment][middle:]
    judge.token("WT", ".".join(parts), after=no_key_lookup(provider))


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
def test_standard_base64_alphabet_is_refused(judge, provider, signing_key, segment):
    """The same bytes in base64 (+, / and = padding) instead of base64url."""
    import base64

    for extra in range(64):
        token = mint(
            signing_key,
            access_claims(provider.issuer, pad="?>" * extra),
            header={"alg": "RS256", "kid": signing_key.kid, "typ": "at+jwt", "x5t": "~" * (extra % 4)},
        )
        parts = token.split(".")
        raw = base64.urlsafe_b64decode(parts[segment] + "=" * (-len(parts[segment]) % 4))
        standard = base64.b64encode(raw).decode("ascii")
        if standard != parts[segment]:
            break
    parts[segment] = standard
    judge.token("WT", ".".join(parts), after=no_key_lookup(provider))


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
def test_non_canonical_base64url_is_refused(judge, provider, signing_key, segment):
    """The last character with its unused low bits set decodes to the same bytes."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for extra in range(8):
        token = mint(
            signing_key,
            access_claims(provider.issuer, pad="x" * extra),
            header={"alg": "RS256", "kid": signing_key.kid, "typ": "at+jwt", "x5t": "x" * extra},
        )
        part = token.split(".")[segment]
        if len(part) % 4 in (2, 3):
            break
    assert len(part) % 4 in (2, 3)
    parts = token.split(".")
    last = alphabet.index(part[-1])
    parts[segment] = part[:-1] + alphabet[last | 1]
    assert parts[segment] != part
    judge.token("WT", ".".join(parts), after=no_key_lookup(provider))


def _splice(value: bytes):
    """Add one more member (``x5t`` in the header, ``note`` in the payload) with a raw value."""
    return lambda body, member: body[:-1] + b',"' + member + b'":' + value + b"}"


# name -> function(valid JSON object bytes, member name) -> segment bytes. Each
# token is signed by the real key, and a lenient parser would accept the
# spliced ones: only strict parsing refuses them.
NOT_JSON_OBJECTS = {
    "control (unchanged)": lambda body, m: body,
    "wrapped in an array": lambda body, m: b"[" + body + b"]",
    "as a JSON string": lambda body, m: json.dumps(body.decode()).encode(),
    "number": lambda body, m: b"1",
    "null": lambda body, m: b"null",
    "true": lambda body, m: b"true",
    "false": lambda body, m: b"false",
    "object then garbage": lambda body, m: body + b" x",
    "two objects": lambda body, m: body + body,
    "NaN member": _splice(b"NaN"),
    "Infinity member": _splice(b"Infinity"),
    "-Infinity member": _splice(b"-Infinity"),
    "comment": lambda body, m: body[:-1] + b"/* c */}",
    "single quotes": lambda body, m: body.replace(b'"', b"'"),
    "trailing comma": lambda body, m: body[:-1] + b",}",
    "truncated": lambda body, m: body[:-1],
    "NUL after the object": lambda body, m: body + b"\x00",
    "not UTF-8 (0xff)": _splice(b'"\xff"'),
    "latin-1": _splice('"caf\xe9"'.encode("latin-1")),
    "overlong UTF-8 slash": _splice(b'"\xc0\xaf"'),
    "CESU-8 surrogate": _splice(b'"\xed\xa0\x80"'),
    "escaped lone surrogate": _splice(b'"\\ud800"'),
    "escaped lone low surrogate": _splice(b'"a\\udc00b"'),
    "UTF-16 with BOM": lambda body, m: body.decode().encode("utf-16"),
    "UTF-16-LE": lambda body, m: body.decode().encode("utf-16-le"),
    "UTF-32": lambda body, m: body.decode().encode("utf-32"),
    "UTF-8 BOM": lambda body, m: b"\xef\xbb\xbf" + body,
}


@pytest.mark.parametrize("segment", ["header", "payload"])
@pytest.mark.parametrize("name", list(NOT_JSON_OBJECTS))
def test_segment_not_a_json_object_or_not_utf8(judge, provider, signing_key, segment, name):
    header = json.dumps({"alg": "RS256", "kid": signing_key.kid, "typ": "at+jwt"}, separators=(",", ":")).encode()
    claims = json.dumps(access_claims(provider.issuer), separators=(",", ":")).encode()
    change = NOT_JSON_OBJECTS[name]
    if segment == "header":
        header = change(header, b"x5t")
    else:
        claims = change(claims, b"note")
    token = mint(signing_key, claims, header=header)
    if name.startswith("control"):
        judge.token("200", token)
    else:
        judge.token("WT", token, after=no_key_lookup(provider))


DUPLICATES = {
    "header alg twice": ("header", '{"alg":"RS256","kid":"%(kid)s","typ":"at+jwt","alg":"none"}'),
    "header kid twice": ("header", '{"alg":"RS256","kid":"other","typ":"at+jwt","kid":"%(kid)s"}'),
    "header typ twice": ("header", '{"alg":"RS256","kid":"%(kid)s","typ":"JWT","typ":"at+jwt"}'),
    "header alg escaped duplicate": ("header", '{"alg":"RS256","kid":"%(kid)s","typ":"at+jwt","\\u0061lg":"RS256"}'),
    "payload iss twice": ("payload", "iss"),
    "payload aud twice": ("payload", "aud"),
    "payload exp twice": ("payload", "exp"),
    "payload sub twice": ("payload", "sub"),
    "payload scope twice": ("payload", "scope"),
    "payload nested duplicate": ("payload", "nested"),
}


@pytest.mark.parametrize("name", list(DUPLICATES))
def test_duplicate_member_names(judge, provider, signing_key, name):
    """RFC 7515 5.2, RFC 8725 3.2: duplicate names are refused, never "last one wins"."""
    segment, spec = DUPLICATES[name]
    claims = access_claims(provider.issuer)
    if segment == "header":
        token = mint(signing_key, claims, header=spec % {"kid": signing_key.kid})
    else:
        body = json.dumps(claims, separators=(",", ":"))
        if spec == "nested":
            body = body[:-1] + ',"cnf":{"jkt":"a","jkt":"b"}}'
        else:
            # the same value twice: even an identical repeat is refused
            body = body[:-1] + f',"{spec}":' + json.dumps(claims[spec]) + "}"
        token = mint(signing_key, body, header={"alg": "RS256", "kid": signing_key.kid, "typ": "at+jwt"})
    judge.token("WT", token, after=no_key_lookup(provider))


def test_padded_valid_token_just_under_the_limit_is_accepted(judge, make_token):
    """The control for the size cases: a large but allowed token passes."""
    token = make_token(pad="x" * 11000)
    assert 14000 < len(token) <= 16384
    judge.token("200", token)


@pytest.mark.parametrize("size", [16385, 20000, 1_000_000])
def test_token_over_the_size_limit_is_refused_fast(judge, provider, make_token, size):
    token = make_token(pad="x" * size)  # correctly signed, only too big
    assert len(token) > 16384
    started = time.monotonic()
    judge.token("WT", token, after=no_key_lookup(provider), then_valid=False)
    assert time.monotonic() - started < 1.0
    judge.valid_still_works()


def test_size_limit_is_configurable(judge, jwks_config, provider, make_token):
    jwks_config(MAX_TOKEN_LENGTH=600)
    token = make_token()
    assert len(token) > 600
    judge.expect("WT", f"Bearer {token}", secret=token, then_valid=False, after=no_key_lookup(provider))


def _nested(depth: int, open_: str = "[", close: str = "]") -> bytes:
    return ('{"a":' + open_ * depth + close * depth + "}").encode()


PATHOLOGICAL = {
    "100,000 dots": lambda t: "." * 100_000,
    "100,000 dots inside a token": lambda t: t.replace(".", "." * 50_000, 1),
    "a. repeated": lambda t: "a." * 50_000 + "a",
    "100,000 segments": lambda t: ".".join(["eyJ"] * 100_000),
    "deep arrays in the header": lambda t: encode_segment(_nested(5000)) + "." + ".".join(t.split(".")[1:]),
    "deep objects in the payload": lambda t: (
        t.split(".")[0] + "." + encode_segment(('{"a":' * 3000 + "1" + "}" * 3000).encode()) + "." + t.split(".")[2]
    ),
    "deep arrays over the limit": lambda t: encode_segment(_nested(200_000)) + "." + ".".join(t.split(".")[1:]),
}


@pytest.mark.parametrize("max_length", [16384, 4_000_000], ids=["default limit", "limit raised"])
@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_input_is_refused_in_well_under_a_second(judge, jwks_config, provider, token, name, max_length):
    if max_length != 16384:
        jwks_config(MAX_TOKEN_LENGTH=max_length)
    attack = PATHOLOGICAL[name](token)
    started = time.monotonic()
    judge.token("WT", attack, after=no_key_lookup(provider), then_valid=False)
    assert time.monotonic() - started < 1.0
    judge.valid_still_works()
