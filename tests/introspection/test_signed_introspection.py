"""RFC 9701 signed introspection answers, against a real loopback endpoint that signs with real keys.

The answer is verified with the issuer's keys from its JWKS (the loopback provider), through the same key
store as its tokens. Whatever is wrong with it (plain JSON, unsigned, forged, another typ, iss or aud, too
old) is a 503: the token is never accepted on it, and nothing of it is cached.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from jwks_auth import signals
from jwks_auth.validation.signed_introspection import MAX_RESPONSE_AGE
from jwks_auth.validation.validator import get_validator
from tests.conftest import bearer
from tests.introspection.test_introspection import fix_issuer, get, opaque
from tests.ops.scrape import scrape, value
from tests.support.introspection_server import IntrospectionServer
from tests.support.keys import SigningKey

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture
def server(provider: Any, signing_key: SigningKey) -> Any:
    endpoint = IntrospectionServer()
    endpoint.signer = signing_key  # the key the provider's JWKS publishes
    endpoint.jwt_issuer = provider.issuer
    yield endpoint
    endpoint.stop()


@pytest.fixture
def introspection(jwks_config: Any, server: IntrospectionServer) -> Any:
    def apply(**options: Any) -> dict[str, Any]:
        top = {key: options.pop(key) for key in list(options) if key in ("ACCEPTED_ACTORS",)}
        settings = {
            "ENDPOINT": server.endpoint,
            "CLIENT_ID": "api1",
            "CLIENT_SECRET": "p@ss:w/rd+%",
            "JWT_RESPONSE": True,
            **options,
        }
        return jwks_config(INTROSPECTION=settings, **top)

    apply()
    return apply


def _active(server: IntrospectionServer, provider: Any, **claims: Any) -> str:
    token = opaque(server, **claims)
    fix_issuer(server, provider)
    return token


def _cached(token: str) -> bool:
    introspector = get_validator().introspector
    assert introspector is not None
    return caches["default"].get(introspector._key_prefix + hashlib.sha256(token.encode()).hexdigest()) is not None


def test_a_signed_answer_is_verified_with_the_issuer_s_keys(client, server, provider, introspection):
    token = _active(server, provider)
    response = get(client, token)
    assert response.status_code == 200, response.content
    assert response.json()["sub"] == "818727"
    assert server.accepts == ["application/token-introspection+jwt"]
    assert provider.jwks_hits == 1  # the answer's key came from the issuer's JWKS
    assert _cached(token)
    assert get(client, token).status_code == 200 and server.calls == 1  # the verified answer is cached


def test_a_signed_inactive_answer_is_401(client, server, provider, introspection):
    response = get(client, "unknown-reference-token")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_without_the_setting_a_plain_answer_is_read_as_before(client, server, provider, introspection):
    introspection(JWT_RESPONSE=False)
    token = _active(server, provider)
    assert get(client, token).status_code == 200
    assert server.accepts == ["application/json, application/jwk-set+json"]


def _forged_signer(other_key: SigningKey, signing_key: SigningKey) -> SigningKey:
    """Another private key under the issuer's kid: what a forger without the issuer's key can do."""
    return SigningKey(other_key.private_key, signing_key.kid, "RS256")


SPOILED: dict[str, Any] = {
    "plain JSON when the JWT is required": {"signer": None},
    "a JSON answer labelled as a JWT": {"media_type": "application/json"},
    "unsigned (alg none)": {"header": {"alg": "none"}},
    "a wrong signature": {"forged": True},
    "an algorithm the issuer does not allow": {"header": {"alg": "PS256"}},
    "an unknown kid": {"header": {"kid": "no-such-key"}},
    "a key from the header": {"header": {"jwk": {"kty": "RSA"}}},
    "no typ": {"header": {"typ": None}},
    "another typ": {"header": {"typ": "at+jwt"}},
    "another iss": {"claims": {"iss": "https://evil.example"}},
    "no iss": {"claims": {"iss": None}},
    "a list iss": {"claims": {"iss": ["https://evil.example"]}},
    "an object iss": {"claims": {"iss": {"value": "https://evil.example"}}},
    "another aud": {"audience": "other-api"},
    "no aud": {"audience": None},
    "no iat": {"claims": {"iat": None}},
    "an iat in the future": {"claims": {"iat": int(time.time()) + 3600}},
    "an old iat (a replayed answer)": {"claims": {"iat": int(time.time()) - 3600}},
    "expired": {"claims": {"exp": int(time.time()) - 3600}},
    "no token_introspection": {"claims": {"token_introspection": None}},
    "a token_introspection without active": {"claims": {"token_introspection": {"sub": "818727"}}},
}


@pytest.mark.parametrize("case", list(SPOILED))
def test_an_answer_that_is_not_a_valid_signed_response_is_503_never_accepted(
    case, client, server, provider, introspection, signing_key, other_key
):
    spoil = SPOILED[case]
    token = _active(server, provider)
    if "signer" in spoil:
        server.signer = spoil["signer"]
    if spoil.get("forged"):
        server.signer = _forged_signer(other_key, signing_key)
    server.jwt_header = spoil.get("header", {})
    server.jwt_claims = spoil.get("claims", {})
    server.jwt_media_type = spoil.get("media_type", server.jwt_media_type)
    if "audience" in spoil:
        server.jwt_audience = spoil["audience"]
    rejected: list[Any] = []
    signals.token_rejected.connect(lambda **kwargs: rejected.append(kwargs), weak=False, dispatch_uid=case)
    try:
        response = get(client, token)
    finally:
        signals.token_rejected.disconnect(dispatch_uid=case)
    assert response.status_code == 503, (case, response.content)
    assert int(response["Retry-After"]) >= 1
    assert "WWW-Authenticate" not in response  # not the token's fault: no invalid_token
    assert rejected == []
    assert not _cached(token)


def test_an_answer_older_than_max_response_age_is_refused_whatever_the_leeway(client, server, provider, introspection):
    """LEEWAY (60 s by default) widens only the future side: an answer 90 s old is past MAX_RESPONSE_AGE."""
    introspection(CACHE=False)
    token = _active(server, provider)
    server.jwt_claims = {"iat": int(time.time()) - int(MAX_RESPONSE_AGE) - 30}
    assert get(client, token).status_code == 503


def test_an_answer_ahead_within_leeway_is_accepted(client, server, provider, introspection):
    token = _active(server, provider)
    server.jwt_claims = {"iat": int(time.time()) + 30}  # the server's clock runs fast, within LEEWAY
    assert get(client, token).status_code == 200


def test_a_forged_active_answer_for_an_unknown_token_does_not_let_it_in(
    client, server, provider, introspection, signing_key, other_key
):
    """The forger answers active: true for a token the issuer never issued: refused, whatever it claims."""
    server.signer = _forged_signer(other_key, signing_key)
    server.tokens["forged-token"] = {"active": True, "iss": provider.issuer, "aud": "api1", "sub": "admin"}
    assert get(client, "forged-token").status_code == 503


def test_the_failure_is_counted_as_an_introspection_response_problem(
    client, server, provider, introspection, signing_key, other_key, caplog
):
    server.signer = _forged_signer(other_key, signing_key)
    token = _active(server, provider)
    labels = {"issuer": "", "result": "unavailable", "reason": "introspection_jwt"}
    before = value(scrape(client), "jwks_auth_tokens_total", labels)
    assert get(client, token).status_code == 503
    assert value(scrape(client), "jwks_auth_tokens_total", labels) - before == 1
    assert "signature invalid" in caplog.text and token not in caplog.text


def test_the_refusal_classes_live_with_the_others_and_keep_their_old_paths():
    from jwks_auth import exceptions
    from jwks_auth.validation import introspection, signed_introspection

    assert signed_introspection.SignedResponseError is exceptions.SignedResponseError
    assert introspection.IntrospectionUnavailable is exceptions.IntrospectionUnavailable
    assert introspection.SignedResponseError is exceptions.SignedResponseError
    assert issubclass(exceptions.SignedResponseError, exceptions.CannotDecide)


def test_jwt_response_needs_a_client_id(settings, jwks_config, server):
    jwks_config(INTROSPECTION={"ENDPOINT": server.endpoint, "AUTH_METHOD": "none", "JWT_RESPONSE": True})
    with pytest.raises(SystemCheckError, match="needs a CLIENT_ID with JWT_RESPONSE"):
        call_command("check")
    jwks_config(INTROSPECTION={"ENDPOINT": server.endpoint, "CLIENT_ID": "api1", "JWT_RESPONSE": "yes"})
    with pytest.raises(SystemCheckError, match="JWT_RESPONSE"):
        call_command("check")


def test_an_introspected_delegated_token_has_its_actor_chain(client, server, provider, introspection):
    token = _active(server, provider, act={"sub": "orders", "act": {"sub": "gateway"}})
    response = client.get("/authz/claims", **bearer(token))
    assert response.status_code == 200, response.content
    access_token = get_validator().validate(token)
    assert [actor.sub for actor in access_token.actor] == ["orders", "gateway"]


def test_accepted_actors_apply_to_introspected_tokens(client, server, provider, introspection):
    introspection(ACCEPTED_ACTORS=["billing"])
    token = _active(server, provider, act={"sub": "orders"})
    response = get(client, token)
    assert response.status_code == 401
    assert 'error_description="actor not accepted"' in response["WWW-Authenticate"]
