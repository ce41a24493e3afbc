"""RFC 7662 introspection of reference (opaque) tokens, against a real loopback endpoint."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time

import pytest
from django.core.cache import caches

from jwks_auth.validation.validator import get_validator
from tests.conftest import bearer
from tests.support.introspection_server import IntrospectionServer

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture
def server():
    endpoint = IntrospectionServer()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def introspection(jwks_config, server, provider):
    def apply(**options):
        settings = {"ENDPOINT": server.endpoint, "CLIENT_ID": "api1", "CLIENT_SECRET": "p@ss:w/rd+%", **options}
        top = {key: settings.pop(key) for key in list(settings) if key in ("IS_REVOKED", "JWKS_RETRY_INTERVAL")}
        return jwks_config(INTROSPECTION=settings, **top)

    apply()
    return apply


def opaque(server, lifetime=3600, **claims):
    """A reference token the server knows as active."""
    token = secrets.token_hex(32).upper()  # IdentityServer reference tokens look like this
    now = int(time.time())
    server.tokens[token] = {
        "active": True,
        "iss": "ISSUER",
        "client_id": "client",
        "sub": "818727",
        "scope": "api1 openid",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "aud": "api1",
        **claims,
    }
    return token


def fix_issuer(server, provider):
    for answer in server.tokens.values():
        if answer.get("iss") == "ISSUER":
            answer["iss"] = provider.issuer


def get(client, token, path="/me"):
    return client.get(path, **bearer(token))


def test_an_active_reference_token_is_accepted(client, server, provider, introspection):
    token = opaque(server)
    fix_issuer(server, provider)
    response = get(client, token)
    assert response.status_code == 200, response.content
    assert response.json()["sub"] == "818727" and "active" not in response.json()
    response = get(client, token, "/authz/claims")
    assert response.json()["scopes"] == ["api1", "openid"]
    assert response.json()["issuer"] == provider.issuer
    assert server.seen[0] == {
        "path": "/connect/introspect",
        "content_type": "application/x-www-form-urlencoded",
        "hint": "access_token",
        "query": False,
        "method": "client_secret_basic",
    }
    assert provider.hits == {}  # no keys needed


def test_answers_are_cached_by_token_hash(client, server, provider, introspection):
    token = opaque(server)
    fix_issuer(server, provider)
    for _ in range(5):
        assert get(client, token).status_code == 200
    assert server.calls == 1
    # The cache is keyed by a digest; the token itself is stored nowhere.
    digest = hashlib.sha256(token.encode()).hexdigest()
    store = caches["default"]._cache
    assert any(digest in key for key in store) and not any(token in key for key in store)
    assert not any(token.encode() in bytes(value) for value in store.values())


def test_caching_can_be_switched_off(client, server, provider, introspection):
    introspection(CACHE=False)
    token = opaque(server)
    fix_issuer(server, provider)
    for _ in range(3):
        assert get(client, token).status_code == 200
    assert server.calls == 3


@pytest.mark.parametrize("cache_ttl, lifetime", [(30, 3600), (600, 100)])
def test_an_answer_is_kept_no_longer_than_the_token_lives_or_cache_ttl(
    client, server, provider, introspection, cache_ttl, lifetime
):
    introspection(CACHE_TTL=cache_ttl)
    token = opaque(server, lifetime=lifetime)
    fix_issuer(server, provider)
    before = time.time()
    assert get(client, token).status_code == 200
    introspector = get_validator().introspector
    entry = caches["default"].get(introspector._key_prefix + hashlib.sha256(token.encode()).hexdigest())
    assert entry["until"] <= before + 1 + min(cache_ttl, lifetime)
    assert entry["until"] <= server.tokens[token]["exp"]


@pytest.mark.parametrize("claims", [{"exp": None}, {"exp": "soon"}])
def test_a_token_without_a_known_lifetime_is_not_cached(client, server, provider, introspection, claims):
    token = opaque(server)
    fix_issuer(server, provider)
    server.tokens[token].pop("exp")
    if claims["exp"] is not None:
        server.tokens[token]["exp"] = claims["exp"]
    first, second = get(client, token).status_code, get(client, token).status_code
    assert first == second == (200 if claims["exp"] is None else 401)
    assert server.calls == 2


def test_a_token_expiring_now_is_not_cached(client, server, provider, introspection):
    token = opaque(server, lifetime=0)  # within the 60 s leeway, but its life is over
    fix_issuer(server, provider)
    assert get(client, token).status_code == 200
    assert get(client, token).status_code == 200
    assert server.calls == 2


def test_inactive_is_401_and_remembered(client, server, provider, introspection):
    token = secrets.token_urlsafe(32)
    for _ in range(3):
        response = get(client, token)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert server.calls == 1


def test_a_revoked_reference_token_is_refused_once_the_cache_is_off(client, server, provider, introspection):
    introspection(CACHE=False)
    token = opaque(server)
    fix_issuer(server, provider)
    assert get(client, token).status_code == 200
    server.tokens[token] = {"active": False}
    assert get(client, token).status_code == 401


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "api2"},
        {"aud": ["api2", "api3"]},
        {"iss": "https://evil.example.com"},
        {"exp": 1},
        {"nbf": 4102444800},
        {"sub": 42},
        {"exp": 10**400},
        {"aud": {"x": 1}},
    ],
)
def test_an_active_token_with_wrong_claims_is_refused(client, server, provider, introspection, claims):
    token = opaque(server, **claims)
    fix_issuer(server, provider)
    response = get(client, token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_missing_scope_is_403(client, server, provider, introspection):
    token = opaque(server, scope="openid")
    fix_issuer(server, provider)
    response = get(client, token)
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_client_secret_post(client, server, provider, introspection):
    introspection(AUTH_METHOD="client_secret_post")
    token = opaque(server)
    fix_issuer(server, provider)
    assert get(client, token).status_code == 200
    assert server.seen[-1]["method"] == "client_secret_post"


def test_endpoint_down_is_503_and_not_hammered(client, server, provider, introspection):
    introspection(JWKS_RETRY_INTERVAL=30)
    token = opaque(server)
    server.stop()
    response = get(client, token)
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert "WWW-Authenticate" not in response or "invalid_token" not in response["WWW-Authenticate"]
    # Not hammered: the endpoint is back on the same port, but within the retry
    # interval it is not asked again (a request that reached it would be counted).
    revived = IntrospectionServer(port=server.port)
    try:
        revived.tokens.update(server.tokens)
        again = get(client, token)
        assert again.status_code == 503 and int(again["Retry-After"]) >= 1
        assert revived.calls == 0
    finally:
        revived.stop()


def test_endpoint_down_is_counted_as_introspection_down(client, server, provider, introspection):
    from tests.ops.scrape import scrape, value

    token = opaque(server)
    server.stop()
    labels = {"issuer": "", "result": "unavailable", "reason": "introspection_down"}
    before = value(scrape(client), "jwks_auth_tokens_total", labels)
    assert get(client, token).status_code == 503
    assert value(scrape(client), "jwks_auth_tokens_total", labels) - before == 1


def test_a_dropped_connection_is_503(client, server, provider, introspection):
    """Every introspection call opens a fresh connection (as every key fetch does),
    so a connection closed without an answer is the endpoint failing, not a stale
    keep-alive connection worth retrying."""
    token = opaque(server)
    fix_issuer(server, provider)
    server.drops = 1
    assert get(client, token).status_code == 503
    assert server.calls == 1


@pytest.mark.parametrize("failure", [500, 502, 401])
def test_endpoint_errors_are_503_then_backed_off(client, server, provider, introspection, failure):
    introspection(JWKS_RETRY_INTERVAL=30)
    token = opaque(server)
    server.failure = failure
    assert get(client, token).status_code == 503
    assert get(client, token).status_code == 503
    assert server.calls == 1  # the second request did not ask again within the retry interval


def test_wrong_client_credentials_are_503_not_401(client, server, provider, introspection):
    introspection(CLIENT_SECRET="wrong")
    token = opaque(server)
    fix_issuer(server, provider)
    response = get(client, token)
    assert response.status_code == 503
    assert server.seen[-1]["method"] is None


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"active": "true"}', b'{"scope": "api1"}', b"\xff"])
def test_a_broken_answer_is_503(client, server, provider, introspection, raw):
    server.raw_response = raw
    assert get(client, opaque(server)).status_code == 503


def test_jwts_are_still_verified_locally(client, server, provider, introspection, token):
    assert get(client, token).status_code == 200
    assert server.calls == 0


@pytest.mark.parametrize("bad", ["abc!def", "a" * 20000, "=abc", "abc=def", "é" * 10])
def test_malformed_reference_tokens_are_not_sent(client, server, provider, introspection, bad):
    response = get(client, bad)
    assert response.status_code in (400, 401)
    assert server.calls == 0


def test_without_introspection_an_opaque_token_is_just_invalid(client, server, provider, jwks_config):
    token = opaque(server)
    response = get(client, token)
    assert response.status_code == 401
    assert server.calls == 0


def test_is_revoked_applies_to_introspected_tokens(client, server, provider, introspection):
    introspection(IS_REVOKED=lambda claims: claims.get("sub") == "818727")
    token = opaque(server)
    fix_issuer(server, provider)
    assert get(client, token).status_code == 401


def test_only_the_first_introspecting_issuer_is_asked(client, settings, server, provider, make_provider):
    other = IntrospectionServer()
    try:
        second = make_provider()
        settings.JWKS_AUTH = {
            "AUDIENCE": ["api1"],
            "ISSUERS": [
                {
                    "ISSUER": provider.issuer,
                    "INTROSPECTION": {"ENDPOINT": server.endpoint, "CLIENT_ID": "api1", "CLIENT_SECRET": "p@ss:w/rd+%"},
                },
                {
                    "ISSUER": second.issuer,
                    "INTROSPECTION": {"ENDPOINT": other.endpoint, "CLIENT_ID": "api1", "CLIENT_SECRET": "p@ss:w/rd+%"},
                },
            ],
        }
        token = opaque(other)  # known only to the second server
        assert get(client, token).status_code == 401
        assert server.calls == 1 and other.calls == 0  # never sent to a second server
    finally:
        other.stop()


def test_the_token_is_never_logged(client, server, provider, introspection, caplog):
    caplog.set_level(logging.DEBUG)
    token = opaque(server)
    fix_issuer(server, provider)
    get(client, token)
    server.failure = 500
    introspection(CACHE=False)
    get(client, token)
    assert caplog.records
    assert not any(token in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "options", [{"ENDPOINT": None}, {"AUTH_METHOD": "private_key_jwt"}, {"CLIENT_ID": None}, {"ENDPONT": "typo"}]
)
def test_bad_introspection_settings_are_configuration_errors(server, provider, introspection, options):
    from jwks_auth.exceptions import ConfigurationError

    introspection(**options)
    with pytest.raises(ConfigurationError):
        get_validator()


BAD_KEYS = {
    "CACHE_TTL": ["abc", [1], -5, float("nan")],
    "CACHE": ["yes", 1],
    "TOKEN_TYPE_HINT": [["access_token"], 5],
    "ENDPOINT": [["https://idp.example/introspect"]],
    "CLIENT_ID": [{"id": "api1"}],
    "CLIENT_SECRET": [123],
    "AUTH_METHOD": ["private_key_jwt"],
    "JWT_RESPONSE": ["yes"],
}


@pytest.mark.parametrize(("key", "value"), [(key, value) for key, values in BAD_KEYS.items() for value in values])
def test_a_bad_introspection_key_is_refused_naming_it_never_a_500(client, server, provider, introspection, key, value):
    """Every INTROSPECTION key has a rule in the settings table: E008 naming it, and a 503 (never a 500)."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    token = opaque(server)
    fix_issuer(server, provider)
    introspection(**{key: value})
    response = get(client, token)
    assert response.status_code == 503, response.content
    with pytest.raises(SystemCheckError, match=rf"jwks_auth.E008.*INTROSPECTION'?\]?\['{key}'\]"):
        call_command("check")


def test_introspection_defaults_are_the_settings_table_s(server, provider, introspection):
    from jwks_auth.conf.table import BY_NAME
    from jwks_auth.validation.introspection import INTROSPECTION_DEFAULTS

    assert INTROSPECTION_DEFAULTS == {key.name: key.default for key in BY_NAME["INTROSPECTION"].keys}
    assert INTROSPECTION_DEFAULTS["CACHE_TTL"] == 60 and INTROSPECTION_DEFAULTS["JWT_RESPONSE"] is False
