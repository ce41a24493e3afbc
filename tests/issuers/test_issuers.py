"""Several trusted issuers: each with its own policy and key store, chosen only from the allowlist."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jwks_auth.checks import check_settings
from jwks_auth.conf.settings import issuer_configs
from jwks_auth.validation.validator import get_validator
from tests.conftest import bearer
from tests.support.keys import SigningKey
from tests.support.tokens import access_claims, mint

pytestmark = pytest.mark.django_db(databases=[])


def fresh_rsa(kid: str, **kwargs) -> SigningKey:
    """A key of its own (the test key pool reuses keys)."""
    key = SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid, "RS256")
    for name, value in kwargs.items():
        setattr(key, name, value)
    return key


@pytest.fixture
def two_issuers(settings, make_provider):
    key_a, key_b = fresh_rsa("shared-kid"), fresh_rsa("shared-kid")
    assert key_a.public_jwk()["n"] != key_b.public_jwk()["n"]
    a = make_provider(None, key_a)
    b = make_provider(None, key_b)
    settings.JWKS_AUTH = {
        "ISSUERS": [
            {"ISSUER": a.issuer, "AUDIENCE": ["api1"]},
            {"ISSUER": b.issuer, "AUDIENCE": ["api1"]},
        ],
    }
    return a, key_a, b, key_b


def test_each_issuer_is_accepted_with_its_own_keys(client, two_issuers):
    a, key_a, b, key_b = two_issuers
    for _ in range(3):
        code = client.get("/me", **bearer(mint(key_a, access_claims(a.issuer)))).status_code
        assert code == 200
        code = client.get("/me", **bearer(mint(key_b, access_claims(b.issuer)))).status_code
        assert code == 200
    assert (a.jwks_hits, b.jwks_hits) == (1, 1)
    response = client.get("/authz/claims", **bearer(mint(key_b, access_claims(b.issuer))))
    assert response.json()["issuer"] == b.issuer
    stores = get_validator().registry.stores
    assert len(stores) == 2 and stores[0] is not stores[1]
    assert stores[0].id != stores[1].id


def test_a_token_claiming_a_but_signed_with_bs_key_is_refused_without_asking_b(client, two_issuers):
    a, key_a, b, key_b = two_issuers
    forged = mint(key_b, access_claims(a.issuer))  # same kid as A's key
    response = client.get("/me", **bearer(forged))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert a.jwks_hits == 1
    assert b.hits == {}  # B's discovery and JWKS were never requested
    # ... and B's store was never even loaded.
    _, store_b = get_validator().registry.get(b.issuer)
    assert store_b.cached() is None


def test_a_token_claiming_b_signed_with_as_key_is_refused_too(client, two_issuers):
    a, key_a, b, key_b = two_issuers
    code = client.get("/me", **bearer(mint(key_a, access_claims(b.issuer)))).status_code
    assert code == 401
    assert a.hits == {} and b.jwks_hits == 1


def test_an_unlisted_issuer_causes_no_fetch_at_all(client, two_issuers, make_provider):
    a, key_a, b, key_b = two_issuers
    stranger_key = fresh_rsa("shared-kid")
    stranger = make_provider(None, stranger_key)
    for issuer in (stranger.issuer, a.issuer + "/", a.issuer.upper(), "", None, 42, [a.issuer]):
        token = mint(stranger_key, {**access_claims("x"), "iss": issuer})
        response = client.get("/me", **bearer(token))
        assert response.status_code == 401, issuer
    assert a.hits == {} and b.hits == {} and stranger.hits == {}


def test_per_issuer_policies(client, settings, make_provider):
    """Audiences, algorithms, typ, leeway, required claims, claim values and scope claims, each its own."""
    rsa_key, ec_key = fresh_rsa("a1"), SigningKey.ec(kid="b1")
    a = make_provider(None, rsa_key)
    b = make_provider(None, ec_key)
    settings.JWKS_AUTH = {
        "AUDIENCE": ["api1"],  # a default for every issuer
        "LEEWAY": 0,
        "ISSUERS": [
            {"ISSUER": a.issuer},
            {
                "ISSUER": b.issuer,
                "AUDIENCE": ["https://api.example.com"],
                "ALGORITHMS": ["ES256"],
                "TOKEN_TYPES": ["JWT"],
                "LEEWAY": 120,
                "REQUIRED_CLAIMS": ["tid"],
                "CLAIM_VALUES": {"ver": "2.0"},
                "SCOPE_CLAIMS": ["scp"],
            },
        ],
    }
    now = int(time.time())

    def get(key, issuer, typ="at+jwt", **claims):
        return client.get("/authz/claims", **bearer(mint(key, access_claims(issuer, **claims), typ=typ)))

    # Issuer A: the defaults (RFC 9068, RS256, aud api1, no leeway).
    assert get(rsa_key, a.issuer).status_code == 200
    assert get(rsa_key, a.issuer, typ="JWT").status_code == 401
    assert get(rsa_key, a.issuer, audience="https://api.example.com").status_code == 401
    assert get(rsa_key, a.issuer, exp=now - 30).status_code == 401
    # Issuer B: its own rules.
    ok = {"audience": "https://api.example.com", "tid": "t1", "ver": "2.0", "scp": "read"}
    response = get(ec_key, b.issuer, typ="JWT", **ok)
    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["read"]  # scp, not scope ("api1")
    assert get(ec_key, b.issuer, typ="JWT", **{**ok, "exp": now - 30}).status_code == 200  # 120 s leeway
    assert get(ec_key, b.issuer, typ="JWT", **{**ok, "exp": now - 300}).status_code == 401
    assert get(ec_key, b.issuer, typ="at+jwt", **ok).status_code == 401
    assert get(ec_key, b.issuer, typ="JWT", **{**ok, "audience": "api1"}).status_code == 401
    assert get(ec_key, b.issuer, typ="JWT", **{**ok, "tid": None}).status_code == 401
    assert get(ec_key, b.issuer, typ="JWT", **{**ok, "ver": "1.0"}).status_code == 401
    # An algorithm allowed for one issuer is not allowed for the other.
    ec_for_a = SigningKey.ec(kid="a1")
    code = client.get("/me", **bearer(mint(ec_for_a, access_claims(a.issuer)))).status_code
    assert code == 401
    assert a.jwks_hits == 1 and b.jwks_hits == 1


def test_issuer_aliases_share_one_key_store(client, settings, make_provider):
    tenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
    v2 = f"https://login.microsoftonline.com/{tenant}/v2.0"
    v1 = f"https://sts.windows.net/{tenant}/"
    key = fresh_rsa("entra-kid")
    provider = make_provider(v2, key)
    settings.JWKS_AUTH = {"ISSUER": v2, "ALIASES": [v1], "JWKS_URI": provider.jwks_uri, "AUDIENCE": ["api1"]}
    for issuer in (v1, v2, v1):
        response = client.get("/authz/claims", **bearer(mint(key, access_claims(issuer))))
        assert response.status_code == 200
        assert response.json()["issuer"] == v2  # the canonical issuer
        assert response.json()["claims"]["iss"] == issuer
    assert provider.jwks_hits == 1 and provider.discovery_hits == 0
    assert len(get_validator().registry) == 1
    # Close is not equal.
    code = client.get("/me", **bearer(mint(key, access_claims(v1.rstrip("/"))))).status_code
    assert code == 401


def test_tenant_template_with_an_allowlist(client, settings, make_provider):
    tenants = ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"]
    outsider = "33333333-3333-3333-3333-333333333333"
    keys = {tenant: fresh_rsa("same-kid") for tenant in tenants + [outsider]}
    provider = make_provider()
    for tenant, key in keys.items():
        body = json.dumps({"keys": [key.public_jwk()]}).encode()
        provider.routes[f"/{tenant}/keys"] = (200, body, {"Content-Type": "application/json"})
    template = "https://login.microsoftonline.com/{tenant}/v2.0"
    settings.JWKS_AUTH = {
        "ISSUERS": [
            {
                "ISSUER": template,
                "TENANTS": tenants,
                "ALIASES": ["https://sts.windows.net/{tenant}/"],
                "JWKS_URI": provider.base_url + "/{tenant}/keys",
                "AUDIENCE": ["api1"],
            }
        ],
    }
    configs = issuer_configs()
    assert [c.issuer for c in configs] == [template.format(tenant=t) for t in tenants]
    assert configs[0].aliases == {f"https://sts.windows.net/{tenants[0]}/"}

    def call(tenant, key_tenant, v1=False):
        iss = f"https://sts.windows.net/{tenant}/" if v1 else template.format(tenant=tenant)
        return client.get("/me", **bearer(mint(keys[key_tenant], access_claims(iss)))).status_code

    assert call(tenants[0], tenants[0]) == 200
    assert call(tenants[1], tenants[1], v1=True) == 200
    assert provider.hits[f"/{tenants[0]}/keys"] == 1 and provider.hits[f"/{tenants[1]}/keys"] == 1
    # A tenant not on the allowlist: refused, and its keys are never fetched.
    assert call(outsider, outsider) == 401
    assert provider.hits[f"/{outsider}/keys"] == 0
    # One tenant's key does not open another tenant's door.
    assert call(tenants[0], tenants[1]) == 401
    assert provider.hits[f"/{tenants[1]}/keys"] == 1
    assert provider.hits[f"/{tenants[0]}/keys"] == 1  # a bad signature causes no refetch


def test_the_literal_template_is_never_an_issuer(client, settings, make_provider):
    key = fresh_rsa("k")
    provider = make_provider(None, key)
    template = "https://login.microsoftonline.com/{tenant}/v2.0"
    settings.JWKS_AUTH = {
        "ISSUERS": [{"ISSUER": template, "TENANTS": [], "JWKS_URI": provider.jwks_uri, "AUDIENCE": ["api1"]}]
    }
    assert issuer_configs() == []
    code = client.get("/me", **bearer(mint(key, access_claims(template)))).status_code
    assert code == 401
    assert provider.hits == {}


def test_issuers_inherit_top_level_defaults_and_override_them(settings):
    settings.JWKS_AUTH = {
        "AUDIENCE": ["api1"],
        "LEEWAY": 5,
        "PROFILE": "identityserver4",
        "ALGORITHMS": ["RS256", "PS256"],
        "ISSUERS": [
            "https://a.example.com",
            {"ISSUER": "https://b.example.com", "PROFILE": "entra", "LEEWAY": 0, "AUDIENCE": "api://b"},
        ],
    }
    a, b = issuer_configs()
    assert (a.issuer, a.audiences, a.leeway, a.profile) == ("https://a.example.com", {"api1"}, 5.0, "identityserver4")
    assert a.algorithms == {"RS256", "PS256"} and a.token_types == {"at+jwt"}
    assert (b.audiences, b.leeway, b.profile, b.token_types) == ({"api://b"}, 0.0, "entra", {"jwt"})
    assert b.scope_claims == ("scp", "roles")
    assert check_settings() == []
