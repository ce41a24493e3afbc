"""Refusals a setting commonly causes name that setting in the log; the refusal itself does not change."""

from __future__ import annotations

import pytest

from tests.conftest import bearer
from tests.issuers.shapes import SHAPES, Shape, entra, keycloak
from tests.support.tokens import mint

pytestmark = pytest.mark.django_db(databases=[])


def hints(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if getattr(r, "jwks_event", None) == "refusal_hint"]


@pytest.fixture
def deploy(settings, make_provider):
    """A shape's key served from loopback, the API configured as its provider's docs say, minus ``drop``."""

    def apply(shape: Shape, *drop: str, **overrides):
        provider = make_provider(shape.issuer, shape.key, **shape.jwk_options)
        config = {"ISSUER": provider.issuer, **shape.settings, "RESOURCE": "http://testserver"}
        if shape.issuer is not None:
            config["JWKS_URI"] = provider.jwks_uri
        for name in drop:
            config.pop(name, None)
        config.update(overrides)
        settings.JWKS_AUTH = config
        settings.ME_REQUIRED_SCOPES = [shape.scope]
        return provider.issuer

    return apply


def _forgotten_profile_cases() -> list[tuple[str, str]]:
    return [
        (name, label)
        for name, make in SHAPES.items()
        if make().settings.get("PROFILE") not in (None, "dev", "rfc9068")
        for label in make().accepted
    ]


@pytest.mark.parametrize("name, label", _forgotten_profile_cases())
def test_a_forgotten_profile_is_named(client, deploy, caplog, name, label):
    """Every provider's access token, read with the default profile: refused, and the log names its PROFILE."""
    shape = SHAPES[name]()
    issuer = deploy(shape, "PROFILE")
    header, claims = shape.accepted[label](issuer)
    token = mint(shape.key, claims, header=header)
    with caplog.at_level("WARNING", logger="jwks_auth"):
        response = client.get("/me", **bearer(token))
    if response.status_code == 200:  # IdentityServer4 4.x tokens have the RFC 9068 shape: nothing to hint at
        assert hints(caplog) == []
        return
    assert response.status_code == 401
    lines = hints(caplog)
    assert len(lines) == 1 and "JWKS_AUTH['PROFILE']" in lines[0], caplog.text
    assert f"'{shape.settings['PROFILE']}'" in lines[0] or shape.settings["PROFILE"] in lines[0]
    assert token not in caplog.text and token.split(".")[2] not in caplog.text
    assert str(claims.get("sub")) not in lines[0]


def test_the_client_is_told_the_same_fixed_text(client, deploy, caplog):
    shape = keycloak()
    issuer = deploy(shape, "PROFILE")
    header, claims = shape.accepted["user"](issuer)
    response = client.get("/me", **bearer(mint(shape.key, claims, header=header)))
    assert response.status_code == 401
    assert 'error_description="token type not accepted"' in response["WWW-Authenticate"]
    assert "PROFILE" not in response["WWW-Authenticate"] and "PROFILE" not in response.content.decode()


def test_the_same_hint_is_logged_once_a_minute(client, deploy, caplog):
    """A flood of such tokens (anyone can send an unsigned one with typ JWT) writes one line, not one each."""
    shape = keycloak()
    issuer = deploy(shape, "PROFILE")
    header, claims = shape.accepted["user"](issuer)
    with caplog.at_level("WARNING", logger="jwks_auth"):
        for _ in range(5):
            assert client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code == 401
    assert len(hints(caplog)) == 1


@pytest.mark.parametrize(
    "aud, expected",
    [("api1/", "trailing slash"), ("API1", "letter case"), ("api://api1", "api:// prefix"), ("client", "client")],
)
def test_a_close_audience_names_audience(client, make_token, caplog, aud, expected):
    token = make_token(aud=aud)
    with caplog.at_level("WARNING", logger="jwks_auth"):
        response = client.get("/me", **bearer(token))
    assert response.status_code == 401 and 'error_description="invalid audience"' in response["WWW-Authenticate"]
    lines = hints(caplog)
    assert len(lines) == 1 and "JWKS_AUTH['AUDIENCE']" in lines[0] and expected in lines[0], caplog.text
    assert "'api1'" in lines[0] or "['api1']" in lines[0]  # the configured value, not the token's
    assert f"'{aud}'" not in lines[0]


def test_a_foreign_audience_gets_no_hint(client, make_token, caplog):
    with caplog.at_level("WARNING", logger="jwks_auth"):
        assert client.get("/me", **bearer(make_token(aud="orders-api"))).status_code == 401
    assert hints(caplog) == []


def test_scopes_in_a_claim_the_profile_does_not_read_name_scope_claims(client, deploy, settings, caplog):
    """Keycloak realm roles hold the scope /me needs, but the keycloak profile reads only scope: 403, SCOPE_CLAIMS."""
    shape = keycloak()
    issuer = deploy(shape, "SCOPE_CLAIMS")  # the profile's own: scope only
    settings.ME_REQUIRED_SCOPES = ["orders.read"]
    header, claims = shape.accepted["user"](issuer)
    with caplog.at_level("WARNING", logger="jwks_auth"):
        response = client.get("/me", **bearer(mint(shape.key, claims, header=header)))
    assert response.status_code == 403 and "insufficient_scope" in response["WWW-Authenticate"]
    lines = hints(caplog)
    assert len(lines) == 1 and "JWKS_AUTH['SCOPE_CLAIMS']" in lines[0] and "realm_access.roles" in lines[0]
    assert "orders.read" in lines[0]
    # Read from that claim, the same token is let in.
    settings.JWKS_AUTH = {**settings.JWKS_AUTH, "SCOPE_CLAIMS": ["scope", ["realm_access", "roles"]]}
    assert client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code == 200


def test_an_entra_v2_token_for_an_api_uri_audience_names_the_client_id(client, deploy, caplog):
    """Entra v2 tokens carry the API's client id as aud; an AUDIENCE of only the api:// URI refuses them all."""
    shape = entra()
    issuer = deploy(shape, AUDIENCE=["api://contoso-orders"])
    header, claims = shape.accepted["v2 delegated (scp)"](issuer)
    with caplog.at_level("WARNING", logger="jwks_auth"):
        assert client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code == 401
    lines = hints(caplog)
    assert len(lines) == 1 and "GUID" in lines[0] and "JWKS_AUTH['AUDIENCE']" in lines[0]
    assert claims["aud"] not in lines[0]
