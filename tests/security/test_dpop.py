"""The DPoP proof and certificate-binding attack suite, through the real front door on ``/me``.

Every proof is signed with a real key (EC P-256, RSA PS256/RS256, Ed25519);
each refusal is judged for its status, the scheme its challenge is on, its
error code, and that neither token nor proof is echoed anywhere.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from jwks_auth.sender.components import get_sender_constraints
from jwks_auth.sender.nonce import NonceSource
from tests.security.conftest import assert_no_leak, challenge_of, parse_challenges, secrets_of
from tests.support import dpop
from tests.support.introspection_server import IntrospectionServer
from tests.support.keys import SigningKey

pytestmark = pytest.mark.django_db(databases=[])
URL = "http://testserver/me"
PROXY = "10.0.0.7"


@pytest.fixture(scope="module")
def ec() -> SigningKey:
    return SigningKey.ec(kid="client-ec")


@pytest.fixture(scope="module")
def keys(ec: SigningKey) -> dict[str, SigningKey]:
    return {"ec": ec, "rsa": SigningKey.rsa(kid="client-rsa", alg="PS256"), "ed": SigningKey.ed25519(kid="client-ed")}


class Door:
    """Sends DPoP requests to ``/me`` and judges the answers."""

    def __init__(self, client: APIClient, caplog: pytest.LogCaptureFixture, make_token: Callable[..., str]) -> None:
        self.client, self.caplog, self.make_token = client, caplog, make_token

    def bound(self, key: SigningKey, **claims: Any) -> str:
        return self.make_token(cnf={"jkt": dpop.thumbprint(key)}, **claims)

    def send(
        self,
        token: str | None,
        proof: str | None = None,
        *,
        scheme: str = "DPoP",
        path: str = "/me",
        method: str = "get",
        **extra: Any,
    ) -> Any:
        if token is not None:
            extra["HTTP_AUTHORIZATION"] = f"{scheme} {token}"
        if proof is not None:
            extra["HTTP_DPOP"] = proof
        return getattr(self.client, method)(path, **extra)

    def ok(self, token: str, proof: str | None = None, **kwargs: Any) -> Any:
        response = self.send(token, proof, **kwargs)
        assert response.status_code == 200, (response.status_code, response.headers.get("WWW-Authenticate"))
        return response

    def refused(
        self,
        token: str,
        proof: str | None = None,
        *,
        status: int = 401,
        error: str = "invalid_dpop_proof",
        on: str = "dpop",
        **kwargs: Any,
    ) -> dict[str, str]:
        response = self.send(token, proof, **kwargs)
        secrets = secrets_of(token) + secrets_of(proof)
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code != status:
            raise AssertionError(f"expected {status}, got {response.status_code} {challenge[:40]!r}")
        assert_no_leak(response, secrets, self.caplog)
        params = challenge_of(response, on)
        if params.get("error") != error:
            raise AssertionError(f"expected error={error} on {on}, got {params.get('error')!r}")
        for scheme, other in parse_challenges(challenge):
            if scheme.lower() != on:
                assert "error" not in other, "the error belongs on one challenge"
        return params


@pytest.fixture
def door(client: APIClient, caplog: pytest.LogCaptureFixture, make_token: Callable[..., str]) -> Door:
    caplog.set_level(logging.DEBUG)
    return Door(client, caplog, make_token)


# -- valid proofs --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["ec", "rsa", "ed"])
def test_valid_proof_with_each_key_type(door: Door, keys: dict[str, SigningKey], kind: str) -> None:
    key = keys[kind]
    token = door.bound(key)
    response = door.ok(token, dpop.make_proof(key, "GET", URL, token=token))
    assert response.json()["cnf"] == {"jkt": dpop.thumbprint(key)}


def test_rs256_proofs_only_when_configured(door: Door, jwks_config: Any) -> None:
    key = SigningKey.rsa(kid="client-rs", alg="RS256")
    token = door.bound(key)
    door.refused(token, dpop.make_proof(key, "GET", URL, token=token))
    jwks_config(DPOP_ALGORITHMS=["ES256", "RS256"])
    door.ok(token, dpop.make_proof(key, "GET", URL, token=token))


def test_the_verified_token_cache_never_skips_the_proof(door: Door, ec: SigningKey) -> None:
    token = door.bound(ec)
    for _ in range(3):  # the token is served from the verified-token cache after the first
        door.ok(token, dpop.make_proof(ec, "GET", URL, token=token))
    door.refused(token, None)
    door.refused(token, dpop.make_proof(SigningKey.ec(), "GET", URL, token=token))


# -- replay --------------------------------------------------------------------------------------
def test_replay_on_the_same_worker(door: Door, ec: SigningKey) -> None:
    token = door.bound(ec)
    proof = dpop.make_proof(ec, "GET", URL, token=token)
    door.ok(token, proof)
    params = door.refused(token, proof)
    assert params.get("error_description") == "DPoP proof replayed"


def test_the_same_jti_for_another_url_or_key_is_another_proof(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    token = door.bound(ec)
    door.ok(token, dpop.make_proof(ec, "GET", URL, token=token, jti="same"))
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token, jti="same"))


def test_a_refused_binding_stores_no_jti(door: Door, ec: SigningKey, jwks_config: Any, certs: dict[str, Any]) -> None:
    """The jti is recorded last: a proof of another key, or without the token's certificate, takes no place."""
    guard = get_sender_constraints().verifier.replay
    assert guard is not None
    other = SigningKey.ec()
    token = door.bound(ec)
    proofs = [dpop.make_proof(other, "GET", URL, token=token) for _ in range(20)]
    for proof in proofs:
        params = door.refused(token, proof)
        assert params["error_description"] == "DPoP proof key does not match the token"
    jtis = [json.loads(base64.urlsafe_b64decode(proof.split(".")[1] + "==="))["jti"] for proof in proofs]
    assert [guard.cache.get(guard.key(dpop.thumbprint(other), URL, jti)) for jti in jtis] == [None] * 20
    # A proof refused for the missing certificate is still unused: with its certificate it is accepted once.
    jwks_config(PROXY={"ADDRESSES": [PROXY], "CLIENT_CERT_HEADER": "Client-Cert", "CLIENT_CERT_FORMAT": "rfc9440"})
    token = door.make_token(cnf={"jkt": dpop.thumbprint(ec), "x5t#S256": dpop.cert_thumbprint(certs["mine"])})
    proof = dpop.make_proof(ec, "GET", URL, token=token)
    door.refused(token, proof, error="invalid_token", REMOTE_ADDR=PROXY)
    door.ok(token, proof, REMOTE_ADDR=PROXY, HTTP_CLIENT_CERT=dpop.rfc9440_header(certs["mine"]))
    assert (
        door.refused(token, proof, REMOTE_ADDR=PROXY, HTTP_CLIENT_CERT=dpop.rfc9440_header(certs["mine"]))[
            "error_description"
        ]
        == "DPoP proof replayed"
    )


def test_replay_store_down_is_503(door: Door, ec: SigningKey, settings: Any, jwks_config: Any) -> None:
    # A Redis nobody listens on, as the shared cache: no proof can be recorded, so none is accepted.
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    jwks_config(CACHE_ALIAS="down")
    token = door.bound(ec)
    response = door.send(token, dpop.make_proof(ec, "GET", URL, token=token))
    assert response.status_code == 503 and int(response["Retry-After"]) >= 1


# -- htm / htu -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "htu", "path", "accepted"),
    [
        ("POST", URL, "/me", False),
        ("get", URL, "/me", False),  # methods are case-sensitive
        ("GET", URL + "?a=1", "/me?b=2", True),  # RFC 9449 4.3: query and fragment ignored
        ("GET", URL, "/me?b=2", True),
        ("GET", "HTTP://TESTSERVER/me", "/me", True),  # scheme and host case
        ("GET", "http://testserver/ME", "/me", False),  # path case is not
        ("GET", "http://testserver:80/me", "/me", True),  # the default port
        ("GET", "http://testserver:8080/me", "/me", False),
        ("GET", "https://testserver/me", "/me", False),
        ("GET", URL + "/", "/me", False),  # a trailing slash is another resource
        ("GET", "http://testserver/", "/me", False),
        ("GET", "http://evil.example/me", "/me", False),
        ("GET", "/me", "/me", False),  # not absolute
    ],
)
def test_htm_and_htu(door: Door, ec: SigningKey, method: str, htu: str, path: str, accepted: bool) -> None:
    token = door.bound(ec)
    proof = dpop.make_proof(ec, method, htu, token=token)
    if accepted:
        door.ok(token, proof, path=path)
    else:
        door.refused(token, proof, path=path)


def test_behind_a_trusted_proxy_the_forwarded_url_counts(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    jwks_config(PROXY={"ADDRESSES": ["10.0.0.0/24"]})
    public = "https://api.example.com/me"
    forwarded = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "api.example.com"}
    token = door.bound(ec)
    door.ok(token, dpop.make_proof(ec, "GET", public, token=token), **forwarded)
    # The URL the proxy reached us on is not the one the client used.
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token), **forwarded)
    # Forwarded (RFC 7239) only when it is the header PROXY["FORWARDED_HEADERS"] names.
    rfc7239 = {"REMOTE_ADDR": PROXY, "HTTP_FORWARDED": 'for=192.0.2.60;proto=https;host="api.example.com"'}
    door.refused(token, dpop.make_proof(ec, "GET", public, token=token), **rfc7239)
    jwks_config(PROXY={"ADDRESSES": ["10.0.0.0/24"], "FORWARDED_HEADERS": ["Forwarded"]})
    door.ok(token, dpop.make_proof(ec, "GET", public, token=token), **rfc7239)


def test_the_pre_1_0_flat_proxy_spellings_still_work(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    """``TRUSTED_PROXIES`` and ``FORWARDED_HEADERS`` at the top level are folded into ``PROXY`` until 1.1."""
    jwks_config(TRUSTED_PROXIES=["10.0.0.0/24"], FORWARDED_HEADERS=["Forwarded"])
    token = door.bound(ec)
    rfc7239 = {"REMOTE_ADDR": PROXY, "HTTP_FORWARDED": 'for=192.0.2.60;proto=https;host="api.example.com"'}
    door.ok(token, dpop.make_proof(ec, "GET", "https://api.example.com/me", token=token), **rfc7239)


def test_a_forwarded_header_the_proxy_did_not_set_is_not_believed(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    """A proxy passes on what it does not set: a client's own Forwarded must not pick the htu origin."""
    jwks_config(PROXY={"ADDRESSES": [PROXY]})  # FORWARDED_HEADERS: the X-Forwarded pair, by default
    token = door.bound(ec)
    sent = {
        "REMOTE_ADDR": PROXY,
        "HTTP_X_FORWARDED_PROTO": "http",
        "HTTP_X_FORWARDED_HOST": "api.example",
        "HTTP_FORWARDED": "host=evil.example",
    }
    door.refused(token, dpop.make_proof(ec, "GET", "http://evil.example/me", token=token), **sent)
    door.ok(token, dpop.make_proof(ec, "GET", "http://api.example/me", token=token), **sent)
    # A proxy that sets only X-Forwarded-Proto: the client's X-Forwarded-Host is not believed either.
    jwks_config(PROXY={"ADDRESSES": [PROXY], "FORWARDED_HEADERS": ["X-Forwarded-Proto"]})
    door.refused(token, dpop.make_proof(ec, "GET", "http://api.example/me", token=token), **sent)
    door.ok(token, dpop.make_proof(ec, "GET", URL, token=token), **sent)
    # With Forwarded named, the X-Forwarded pair is the client's.
    jwks_config(PROXY={"ADDRESSES": [PROXY], "FORWARDED_HEADERS": ["Forwarded"]})
    door.refused(token, dpop.make_proof(ec, "GET", "http://api.example/me", token=token), **sent)
    door.ok(token, dpop.make_proof(ec, "GET", "http://evil.example/me", token=token), **sent)


def test_forwarded_headers_from_an_untrusted_address_are_ignored(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    jwks_config(PROXY={"ADDRESSES": ["10.0.0.0/24"]})
    token = door.bound(ec)
    forged = {
        "REMOTE_ADDR": "192.0.2.99",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "api.example.com",
    }
    door.refused(token, dpop.make_proof(ec, "GET", "https://api.example.com/me", token=token), **forged)
    door.ok(token, dpop.make_proof(ec, "GET", URL, token=token), **forged)
    # Without PROXY["ADDRESSES"] nobody is believed.
    jwks_config()
    door.refused(
        token, dpop.make_proof(ec, "GET", "https://api.example.com/me", token=token), **{**forged, "REMOTE_ADDR": PROXY}
    )


def test_public_origins_with_a_path_prefix(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    jwks_config(PROXY={"PUBLIC_ORIGINS": ["https://gw.example.com/api"]})
    token = door.bound(ec)
    door.ok(token, dpop.make_proof(ec, "GET", "https://gw.example.com/api/me", token=token))
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token))


# -- iat, ath, jkt, jti --------------------------------------------------------------------------
@pytest.mark.parametrize(("offset", "accepted"), [(-61, False), (-50, True), (3, True), (10, False), (3600, False)])
def test_iat_window(door: Door, ec: SigningKey, offset: int, accepted: bool) -> None:
    token = door.bound(ec)
    proof = dpop.make_proof(ec, "GET", URL, token=token, iat=int(time.time()) + offset)
    if accepted:
        door.ok(token, proof)
    else:
        door.refused(token, proof)


def test_iat_window_is_configurable(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    jwks_config(DPOP_IAT_MAX_AGE=300, DPOP_IAT_MAX_AHEAD=30)
    token = door.bound(ec)
    door.ok(token, dpop.make_proof(ec, "GET", URL, token=token, iat=int(time.time()) - 200))
    door.ok(token, dpop.make_proof(ec, "GET", URL, token=token, iat=int(time.time()) + 20))


@pytest.mark.parametrize(
    "change", [{"drop": ("ath",)}, {"ath": "wrong"}, {"ath": dpop.ath("another.token.x")}, {"ath": 42}]
)
def test_ath_wrong_or_missing(door: Door, ec: SigningKey, change: dict[str, Any]) -> None:
    token = door.bound(ec)
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token, **change))


def test_jkt_mismatch(door: Door, ec: SigningKey) -> None:
    other = SigningKey.ec(kid="thief")
    token = door.bound(ec)
    params = door.refused(token, dpop.make_proof(other, "GET", URL, token=token))
    assert "does not match the token" in params["error_description"]


@pytest.mark.parametrize("jti", ["", None, 7, "j" * 257])
def test_bad_jti(door: Door, ec: SigningKey, jti: Any) -> None:
    token = door.bound(ec)
    proof = dpop.make_proof(ec, "GET", URL, token=token, **({"drop": ("jti",)} if jti is None else {"jti": jti}))
    door.refused(token, proof)


# -- the proof's header --------------------------------------------------------------------------
@pytest.mark.parametrize("member", ["d", "p", "k"])
def test_private_key_in_jwk(door: Door, keys: dict[str, SigningKey], member: str) -> None:
    key = keys["rsa"] if member == "p" else keys["ec"]
    jwk = {**dpop.proof_jwk(key), member: "AQAB"}
    token = door.bound(key)
    door.refused(token, dpop.make_proof(key, "GET", URL, token=token, jwk=jwk))


@pytest.mark.parametrize("alg", ["none", "HS256", "ES384", "RS256", "Ed448", ""])
def test_alg_not_allowed(door: Door, ec: SigningKey, alg: str) -> None:
    token = door.bound(ec)
    header = {"typ": "dpop+jwt", "alg": alg, "jwk": dpop.proof_jwk(ec)}
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token, header=header, alg="ES256"))


def test_hs256_with_the_public_key_as_secret(door: Door, ec: SigningKey) -> None:
    import hashlib
    import hmac

    from tests.support.tokens import encode_segment

    token = door.bound(ec)
    header = encode_segment({"typ": "dpop+jwt", "alg": "HS256", "jwk": dpop.proof_jwk(ec)})
    body = encode_segment({"jti": "x", "htm": "GET", "htu": URL, "iat": int(time.time()), "ath": dpop.ath(token)})
    mac = hmac.new(dpop.proof_jwk(ec)["x"].encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    door.refused(token, f"{header}.{body}.{encode_segment(mac)}")


@pytest.mark.parametrize("typ", ["dpop+jwt", "DPOP+JWT", "DPoP+JWT", "application/dpop+jwt", "Application/DPOP+jwt"])
def test_typ_is_compared_as_a_media_type(door: Door, ec: SigningKey, typ: str) -> None:
    """RFC 7515 4.1.9: case-insensitive, application/ optional (SECURITY.md says so)."""
    token = door.bound(ec)
    door.ok(token, dpop.make_proof(ec, "GET", URL, token=token, typ=typ))


@pytest.mark.parametrize("typ", [None, "JWT", "at+jwt", "application/dpop+jwt+x", 1, "dpop+jwt ", "text/dpop+jwt"])
def test_typ_missing_or_wrong(door: Door, ec: SigningKey, typ: Any) -> None:
    token = door.bound(ec)
    header = {"alg": "ES256", "jwk": dpop.proof_jwk(ec)}
    if typ is not None:
        header["typ"] = typ
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token, header=header))


def test_a_key_of_another_type_than_alg(door: Door, keys: dict[str, SigningKey]) -> None:
    token = door.bound(keys["ec"])
    header = {"typ": "dpop+jwt", "alg": "PS256", "jwk": dpop.proof_jwk(keys["ec"])}
    door.refused(token, dpop.make_proof(keys["rsa"], "GET", URL, token=token, header=header))


@pytest.mark.parametrize("extra", [{"jku": "https://evil/jwks"}, {"x5u": "https://evil/c"}, {"crit": ["exp"]}])
def test_other_key_selecting_header_members(door: Door, ec: SigningKey, extra: dict[str, Any]) -> None:
    token = door.bound(ec)
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop.proof_jwk(ec), **extra}
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token, header=header))


def test_small_or_off_curve_keys_are_refused_as_in_a_jwks(door: Door, ec: SigningKey) -> None:
    small = SigningKey.rsa(kid="small", bits=1024, alg="PS256")
    token = door.bound(small)
    door.refused(token, dpop.make_proof(small, "GET", URL, token=token))
    jwk = dpop.proof_jwk(ec)
    jwk["y"] = jwk["x"]  # not on the curve
    token = door.bound(ec)
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token, jwk=jwk))


# -- headers and malformed proofs ----------------------------------------------------------------
def test_two_dpop_headers_are_a_bad_request(door: Door, ec: SigningKey) -> None:
    token = door.bound(ec)
    one, two = (dpop.make_proof(ec, "GET", URL, token=token) for _ in range(2))
    door.refused(token, f"{one}, {two}", status=400, error="invalid_request", on="bearer")
    door.refused(token, f"{one},{one}", status=400, error="invalid_request", on="bearer")


def test_no_proof(door: Door, ec: SigningKey) -> None:
    door.refused(door.bound(ec), None)


@pytest.mark.parametrize("proof", ["", "not-a-jws", "a.b.c", "e30.e30.e30", "x" * 10000, "eyJ.eyJ.", ".."])
def test_malformed_proofs(door: Door, ec: SigningKey, proof: str) -> None:
    door.refused(door.bound(ec), proof)


def test_proof_of_a_json_array_or_bad_utf8(door: Door, ec: SigningKey) -> None:
    token = door.bound(ec)
    from tests.support.tokens import mint

    door.refused(token, mint(ec, b"\xff\xfe", header={"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop.proof_jwk(ec)}))
    door.refused(token, mint(ec, "[1]", header={"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop.proof_jwk(ec)}))


# -- nonces --------------------------------------------------------------------------------------
def test_nonce_required(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    jwks_config(DPOP_NONCE=True)
    token = door.bound(ec)
    response = door.send(token, dpop.make_proof(ec, "GET", URL, token=token))
    assert response.status_code == 401
    assert challenge_of(response, "dpop")["error"] == "use_dpop_nonce"
    nonce = response["DPoP-Nonce"]
    answer = door.ok(token, dpop.make_proof(ec, "GET", URL, token=token, nonce=nonce))
    assert answer["DPoP-Nonce"]  # for the next proof


def test_nonce_expired_or_forged(door: Door, ec: SigningKey, jwks_config: Any, settings: Any) -> None:
    jwks_config(DPOP_NONCE=True, DPOP_NONCE_STEP=60)
    token = door.bound(ec)
    source = get_sender_constraints().nonces
    expired = source.current(time.time() - 130)
    forged = NonceSource.from_secret("another deployment's SECRET_KEY").current()
    for nonce in (expired, forged, "", "A" * 32):
        params = door.refused(token, dpop.make_proof(ec, "GET", URL, token=token, nonce=nonce), error="use_dpop_nonce")
        assert "algs" in params


def test_nonce_from_a_previous_window_is_still_good(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    jwks_config(DPOP_NONCE=True, DPOP_NONCE_STEP=60)
    token = door.bound(ec)
    previous = get_sender_constraints().nonces.current(time.time() - 60)
    door.ok(token, dpop.make_proof(ec, "GET", URL, token=token, nonce=previous))


# -- downgrade and policies ----------------------------------------------------------------------
def test_a_bound_token_is_refused_as_bearer(door: Door, ec: SigningKey) -> None:
    token = door.bound(ec)
    door.refused(token, None, scheme="Bearer", error="invalid_token", on="bearer")
    # Even with a valid proof alongside.
    door.refused(
        token, dpop.make_proof(ec, "GET", URL, token=token), scheme="Bearer", error="invalid_token", on="bearer"
    )


def test_an_unbound_token_with_a_proof_is_refused(door: Door, ec: SigningKey) -> None:
    token = door.make_token()
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token), error="invalid_token")
    door.ok(token, None, scheme="Bearer")


@pytest.mark.parametrize("cnf", ["jkt", {"jkt": 5}, {"jkt": ""}, []])
def test_unreadable_cnf(door: Door, ec: SigningKey, cnf: Any) -> None:
    token = door.make_token(cnf=cnf)
    door.refused(token, None, scheme="Bearer", error="invalid_token", on="bearer")


def test_policy_required(door: Door, ec: SigningKey, jwks_config: Any, client: APIClient) -> None:
    jwks_config(DPOP="required")
    plain = door.make_token()
    response = door.send(plain, scheme="Bearer")
    assert response.status_code == 401
    assert [s for s, _ in parse_challenges(response["WWW-Authenticate"])] == ["DPoP"]
    token = door.bound(ec)
    door.ok(token, dpop.make_proof(ec, "GET", URL, token=token))
    assert client.get("/.well-known/oauth-protected-resource").json()["dpop_bound_access_tokens_required"] is True


def test_policy_off(door: Door, ec: SigningKey, jwks_config: Any) -> None:
    jwks_config(DPOP="off")
    token = door.bound(ec)
    response = door.send(token, dpop.make_proof(ec, "GET", URL, token=token))
    assert response.status_code == 401
    assert [s for s, _ in parse_challenges(response["WWW-Authenticate"])] == ["Bearer"]
    assert door.send(token, scheme="Bearer").status_code == 401  # its binding cannot be honoured
    door.ok(door.make_token(), None, scheme="Bearer")


def test_challenge_without_a_token_offers_both(client: APIClient) -> None:
    response = client.get("/me")
    schemes = {scheme: params for scheme, params in parse_challenges(response["WWW-Authenticate"])}
    assert set(schemes) == {"Bearer", "DPoP"}
    assert schemes["DPoP"]["algs"].split() == ["ES256", "Ed25519", "EdDSA", "PS256"]


# -- certificate binding (RFC 8705) --------------------------------------------------------------
@pytest.fixture
def certs() -> dict[str, Any]:
    _, mine = dpop.client_certificate("mine")
    _, other = dpop.client_certificate("other")
    return {"mine": mine, "other": other}


@pytest.mark.parametrize(
    ("fmt", "header", "encode"),
    [
        ("escaped-pem", "X-SSL-Client-Cert", dpop.nginx_header),
        ("xfcc", "X-Forwarded-Client-Cert", dpop.envoy_header),
        ("rfc9440", "Client-Cert", dpop.rfc9440_header),
    ],
)
def test_certificate_binding(
    door: Door, jwks_config: Any, certs: dict[str, Any], fmt: str, header: str, encode: Callable[[Any], str]
) -> None:
    jwks_config(PROXY={"ADDRESSES": [PROXY], "CLIENT_CERT_HEADER": header, "CLIENT_CERT_FORMAT": fmt})
    meta = "HTTP_" + header.upper().replace("-", "_")
    token = door.make_token(cnf={"x5t#S256": dpop.cert_thumbprint(certs["mine"])})
    door.ok(token, scheme="Bearer", REMOTE_ADDR=PROXY, **{meta: encode(certs["mine"])})
    refusal = {"scheme": "Bearer", "error": "invalid_token", "on": "bearer"}
    door.refused(token, REMOTE_ADDR=PROXY, **{meta: encode(certs["other"])}, **refusal)
    door.refused(token, REMOTE_ADDR=PROXY, **refusal)
    door.refused(token, REMOTE_ADDR="192.0.2.1", **{meta: encode(certs["mine"])}, **refusal)
    door.refused(token, REMOTE_ADDR=PROXY, **{meta: "garbage"}, **refusal)


def _two_pems(certs: dict[str, Any]) -> str:
    return dpop.pem(certs["mine"]) + dpop.pem(certs["other"])


# A proxy that appends its header to the client's: both lines reach Django joined by ", ".
@pytest.mark.parametrize(
    ("fmt", "header", "value"),
    [
        (
            "escaped-pem",
            "X-SSL-Client-Cert",
            lambda c: dpop.nginx_header(c["mine"]) + ", " + dpop.nginx_header(c["other"]),
        ),
        (
            "escaped-pem",
            "X-SSL-Client-Cert",
            lambda c: dpop.nginx_header(c["other"]) + "," + dpop.nginx_header(c["mine"]),
        ),
        ("escaped-pem", "X-SSL-Client-Cert", lambda c: quote(_two_pems(c), safe="")),
        ("base64-der", "X-SSL-Client-Cert", lambda c: quote(_two_pems(c), safe="")),
        ("base64-der", "X-SSL-Client-Cert", lambda c: dpop.der_b64(c["mine"]) + "," + dpop.der_b64(c["other"])),
        ("rfc9440", "Client-Cert", lambda c: dpop.rfc9440_header(c["mine"]) + ", " + dpop.rfc9440_header(c["other"])),
        (
            "xfcc",
            "X-Forwarded-Client-Cert",
            lambda c: dpop.envoy_header(c["other"]) + "," + dpop.envoy_header(c["mine"]),
        ),
        (
            "xfcc",
            "X-Forwarded-Client-Cert",
            lambda c: dpop.envoy_header(c["mine"]) + "," + dpop.envoy_header(c["other"]),
        ),
        ("xfcc", "X-Forwarded-Client-Cert", lambda c: f'Cert="{quote(_two_pems(c), safe="")}"'),
    ],
)
def test_more_than_one_certificate_is_refused(
    door: Door, jwks_config: Any, certs: dict[str, Any], fmt: str, header: str, value: Callable[[dict[str, Any]], str]
) -> None:
    jwks_config(PROXY={"ADDRESSES": [PROXY], "CLIENT_CERT_HEADER": header, "CLIENT_CERT_FORMAT": fmt})
    meta = "HTTP_" + header.upper().replace("-", "_")
    token = door.make_token(cnf={"x5t#S256": dpop.cert_thumbprint(certs["mine"])})
    params = door.refused(
        token, scheme="Bearer", error="invalid_token", on="bearer", REMOTE_ADDR=PROXY, **{meta: value(certs)}
    )
    assert params["error_description"] == "more than one client certificate"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (lambda c: dpop.envoy_header(c["mine"]), True),
        # Subject with an escaped quote, and two DNS SANs: Envoy's own output.
        (lambda c: f'Hash=ab;Cert="{quote(dpop.pem(c["mine"]), safe="")}";Subject="CN=a\\"b,O=x";DNS=a;DNS=b', True),
        (lambda c: f'Cert="{quote(dpop.pem(c["mine"]), safe="")}', False),  # the quote is never closed
        (lambda c: f'Cert={quote(dpop.pem(c["mine"]), safe="")}"', False),  # a quote in an unquoted value
        (
            lambda c: f'Cert="{quote(dpop.pem(c["other"]), safe="")}";Cert="{quote(dpop.pem(c["mine"]), safe="")}"',
            False,
        ),  # two Cert keys in one element
        (lambda c: f'Cert="{quote(dpop.pem(c["mine"]), safe="")}";Hash=a=b', False),  # '=' must be quoted
        (lambda c: f'Cert="{quote(dpop.pem(c["mine"]), safe="")}";', False),  # an empty pair
    ],
)
def test_xfcc_to_the_letter_of_envoys_grammar(
    door: Door, jwks_config: Any, certs: dict[str, Any], value: Callable[[dict[str, Any]], str], accepted: bool
) -> None:
    jwks_config(
        PROXY={"ADDRESSES": [PROXY], "CLIENT_CERT_HEADER": "X-Forwarded-Client-Cert", "CLIENT_CERT_FORMAT": "xfcc"}
    )
    token = door.make_token(cnf={"x5t#S256": dpop.cert_thumbprint(certs["mine"])})
    header = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_CLIENT_CERT": value(certs)}
    if accepted:
        door.ok(token, scheme="Bearer", **header)
    else:
        door.refused(token, scheme="Bearer", error="invalid_token", on="bearer", **header)


def test_a_pem_with_anything_around_it_is_unreadable(door: Door, jwks_config: Any, certs: dict[str, Any]) -> None:
    jwks_config(PROXY={"ADDRESSES": [PROXY], "CLIENT_CERT_HEADER": "X-SSL-Client-Cert"})
    token = door.make_token(cnf={"x5t#S256": dpop.cert_thumbprint(certs["mine"])})
    params = door.refused(
        token,
        scheme="Bearer",
        error="invalid_token",
        on="bearer",
        REMOTE_ADDR=PROXY,
        HTTP_X_SSL_CLIENT_CERT=quote("junk" + dpop.pem(certs["mine"]), safe=""),
    )
    assert params["error_description"] == "client certificate does not match the token"


def test_certificate_bound_token_without_mtls_configured(door: Door, certs: dict[str, Any], client: APIClient) -> None:
    token = door.make_token(cnf={"x5t#S256": dpop.cert_thumbprint(certs["mine"])})
    door.refused(
        token,
        scheme="Bearer",
        error="invalid_token",
        on="bearer",
        HTTP_X_SSL_CLIENT_CERT=dpop.nginx_header(certs["mine"]),
    )
    assert (
        client.get("/.well-known/oauth-protected-resource").json()["tls_client_certificate_bound_access_tokens"]
        is False
    )


def test_dpop_and_certificate_together(door: Door, ec: SigningKey, jwks_config: Any, certs: dict[str, Any]) -> None:
    jwks_config(PROXY={"ADDRESSES": [PROXY], "CLIENT_CERT_HEADER": "Client-Cert", "CLIENT_CERT_FORMAT": "rfc9440"})
    token = door.make_token(cnf={"jkt": dpop.thumbprint(ec), "x5t#S256": dpop.cert_thumbprint(certs["mine"])})
    door.ok(
        token,
        dpop.make_proof(ec, "GET", URL, token=token),
        REMOTE_ADDR=PROXY,
        HTTP_CLIENT_CERT=dpop.rfc9440_header(certs["mine"]),
    )
    door.refused(token, dpop.make_proof(ec, "GET", URL, token=token), error="invalid_token", REMOTE_ADDR=PROXY)


# -- introspected tokens -------------------------------------------------------------------------
def test_introspected_token_with_cnf_binds_the_same_way(
    door: Door, ec: SigningKey, jwks_config: Any, provider: Any
) -> None:
    server = IntrospectionServer()
    try:
        jwks_config(
            INTROSPECTION={"ENDPOINT": server.endpoint, "CLIENT_ID": "api1", "CLIENT_SECRET": server.client_secret}
        )
        now = int(time.time())
        token = "A" * 64
        server.tokens[token] = {
            "active": True,
            "iss": provider.issuer,
            "client_id": "client",
            "sub": "1",
            "scope": "api1",
            "iat": now,
            "exp": now + 300,
            "aud": "api1",
            "token_type": "DPoP",
            "cnf": {"jkt": dpop.thumbprint(ec)},
        }
        door.ok(token, dpop.make_proof(ec, "GET", URL, token=token))
        door.refused(token, None, scheme="Bearer", error="invalid_token", on="bearer")
        door.refused(token, dpop.make_proof(SigningKey.ec(), "GET", URL, token=token))
    finally:
        server.stop()
