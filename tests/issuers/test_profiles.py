"""Provider profiles: tokens in each provider's real shape, accepted with its profile, refused where they should be."""

from __future__ import annotations

import time

import pytest

from jwks_auth.conf.profiles import PROFILES
from jwks_auth.conf.settings import build_issuer, issuer_configs
from jwks_auth.exceptions import ConfigurationError
from tests.conftest import bearer
from tests.issuers.shapes import SHAPES, Shape, identityserver4_2
from tests.support.jwks_server import JWKSProvider
from tests.support.tokens import mint

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture
def deploy(settings, make_provider):
    """Serve a shape's key the provider's way and configure the API as the provider pages (docs/providers/) say."""

    def apply(shape: Shape, **overrides) -> tuple[JWKSProvider, str]:
        provider = make_provider(shape.issuer, shape.key, **shape.jwk_options)
        config = {"ISSUER": provider.issuer, **shape.settings, "RESOURCE": "http://testserver"}
        settings.ME_REQUIRED_SCOPES = [shape.scope]
        if shape.issuer is not None:  # a public URL: point at the loopback JWKS, as the seed's API did
            config["JWKS_URI"] = provider.jwks_uri
        config.update(overrides)
        settings.JWKS_AUTH = config
        return provider, provider.issuer

    return apply


def _cases(kind: str) -> list[tuple[str, str]]:
    return [(name, label) for name, make in SHAPES.items() for label in getattr(make(), kind)]


@pytest.mark.parametrize("name, label", _cases("accepted"))
def test_access_tokens_are_accepted_with_their_profile(client, deploy, name, label):
    shape = SHAPES[name]()
    provider, issuer = deploy(shape)
    header, claims = shape.accepted[label](issuer)
    response = client.get("/me", **bearer(mint(shape.key, claims, header=header)))
    assert response.status_code == 200, response.content
    assert response.json() == claims
    assert provider.jwks_hits == 1


@pytest.mark.parametrize("name, label", _cases("refused"))
def test_other_tokens_are_refused(client, deploy, name, label):
    shape = SHAPES[name]()
    provider, issuer = deploy(shape)
    header, claims = shape.refused[label](issuer)
    response = client.get("/me", **bearer(mint(shape.key, claims, header=header)))
    assert response.status_code == 401, response.content
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("name", list(SHAPES))
def test_every_profile_refuses_an_expired_or_foreign_token(client, deploy, name):
    shape = SHAPES[name]()
    provider, issuer = deploy(shape, LEEWAY=0)
    header, claims = next(iter(shape.accepted.values()))(issuer)
    code = client.get(
        "/me", **bearer(mint(shape.key, {**claims, "exp": int(time.time()) - 3600}, header=header))
    ).status_code
    assert code == 401
    code = client.get("/me", **bearer(mint(shape.key, {**claims, "iss": issuer + "x"}, header=header))).status_code
    assert code == 401
    # The same claims signed by a key the provider never published.
    from tests.support.keys import SigningKey

    stranger = SigningKey.rsa(kid=shape.key.kid, fresh=True)
    assert stranger.public_jwk()["n"] != shape.key.public_jwk()["n"]
    code = client.get("/me", **bearer(mint(stranger, claims, header=header))).status_code
    assert code == 401


def test_the_profile_matters(client, deploy):
    """The seed's IdentityServer4 2.4 tokens (typ JWT, no sub/iat/jti) fail the strict RFC 9068 default."""
    shape = identityserver4_2()
    provider, issuer = deploy(shape, PROFILE="rfc9068")
    header, claims = shape.accepted["client credentials"](issuer)
    code = client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code
    assert code == 401
    deploy(shape)
    code = client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code
    assert code == 200


def test_identityserver4_with_emit_static_audience(client, deploy):
    """IS4 4.x with EmitStaticAudienceClaim: aud is <issuer>/resources; the scope check then does the work."""
    shape = SHAPES["identityserver4"]()
    provider, issuer = deploy(shape, AUDIENCE=[f"{shape.issuer}/resources"])
    header, claims = shape.accepted["4.x client credentials"](issuer)
    token = mint(shape.key, {**claims, "aud": f"{issuer}/resources"}, header=header)
    code = client.get("/me", **bearer(token)).status_code
    assert code == 200
    other = mint(shape.key, {**claims, "aud": f"{issuer}/resources", "scope": ["api2"]}, header=header)
    code = client.get("/me", **bearer(other)).status_code
    assert code == 403


def test_keycloak_roles_become_scopes(client, deploy):
    shape = SHAPES["keycloak"]()
    provider, issuer = deploy(shape)
    header, claims = shape.accepted["user"](issuer)
    response = client.get("/authz/all", **bearer(mint(shape.key, claims, header=header)))
    assert response.status_code == 200, response.content  # orders.read (realm role) + orders.write (api1 client role)
    assert "manage-account" not in response.json()["scopes"]


def test_cognito_groups_can_be_scopes(client, deploy):
    shape = SHAPES["cognito"]()
    provider, issuer = deploy(shape, SCOPE_CLAIMS=["scope", "cognito:groups"])
    header, claims = shape.accepted["user"](issuer)
    response = client.get("/authz/claims", **bearer(mint(shape.key, claims, header=header)))
    assert "admins" in response.json()["scopes"]


def test_auth0_issuer_with_a_trailing_slash_is_discovered(client, settings, make_provider):
    """Auth0's issuer ends with '/': discovery is <issuer>.well-known/..., and the names must match exactly."""
    shape = SHAPES["auth0"]()
    provider = make_provider(None, shape.key)
    provider.issuer = provider.base_url + "/"
    settings.JWKS_AUTH = {"ISSUER": provider.issuer, **shape.settings}
    settings.ME_REQUIRED_SCOPES = [shape.scope]
    header, claims = shape.accepted["client credentials"](provider.issuer)
    code = client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code
    assert code == 200
    assert provider.discovery_hits == 1 and provider.jwks_hits == 1


def test_every_documented_profile_exists_and_builds():
    for name in [
        "rfc9068",
        "dev",
        "identityserver4-2",
        "identityserver4",
        "duende",
        "keycloak",
        "entra",
        "auth0",
        "okta",
        "cognito",
    ]:
        assert name in PROFILES
        config = build_issuer({"ISSUER": "https://idp.example.com", "PROFILE": name, "AUDIENCE": ["api1"]})
        assert {"iss", "exp", config.audience_claim} <= set(config.required_claims)
    cognito = build_issuer({"ISSUER": "https://x", "PROFILE": "cognito", "AUDIENCE": ["c"]})
    assert cognito.audience_claim == "client_id" and dict(cognito.claim_values) == {"token_use": "access"}
    with pytest.raises(ConfigurationError):
        build_issuer({"ISSUER": "https://x", "PROFILE": "azure"})


def test_profile_settings_can_be_overridden(settings):
    settings.JWKS_AUTH = {
        "ISSUER": "https://x",
        "PROFILE": "okta",
        "AUDIENCE": ["a"],
        "TOKEN_TYPES": ["at+jwt"],
        "SCOPE_CLAIMS": ["scp", "groups"],
        "REQUIRED_ONE_OF": ["uid"],
    }
    [config] = issuer_configs()
    assert config.token_types == {"at+jwt"}
    assert config.scope_claims == ("scp", "groups")
    assert config.required_one_of == ("uid",)
