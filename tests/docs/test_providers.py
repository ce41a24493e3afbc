"""Each provider page's configuration, proved with tokens in that provider's shape (tests/issuers/shapes.py).

The page's ``JWKS_AUTH`` is used as it is written, but for the key URL: the
provider's keys are served by a loopback JWKS server, published the way that
provider publishes them (``JWKS_URI`` added to each issuer). Its access tokens
are accepted, its ID tokens and tokens for other APIs refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import bearer
from tests.docs.pages import Block, blocks
from tests.docs.test_code_blocks import run
from tests.issuers.shapes import SHAPES, Shape
from tests.support.tokens import mint

pytestmark = pytest.mark.django_db(databases=[])

PROVIDER_BLOCKS = [block for block in blocks() if block.kind == "provider"]
# Claims a page's variant needs that the shape's tokens leave to the provider's setup.
VARIANTS = {
    # IdentityServer4 with EmitStaticAudienceClaim: every token's aud is <issuer>/resources.
    "static-audience": lambda issuer, claims: {**claims, "aud": f"{issuer}/resources"},
}


def _shape(block: Block) -> tuple[Shape, str]:
    name, _, variant = block.detail.partition(" ")
    return SHAPES[name](), variant


def _issuer(config: dict[str, Any]) -> str:
    first = config["ISSUERS"][0] if "ISSUERS" in config else config
    tenants = first.get("TENANTS") or [""]
    return first["ISSUER"].format(tenant=tenants[0])


def _deploy(settings, make_provider, block: Block, shape: Shape, scope: str) -> tuple[dict[str, Any], str]:
    config = run(block)["JWKS_AUTH"]
    provider = make_provider(None, shape.key, **shape.jwk_options)
    for entry in config.get("ISSUERS") or [config]:
        entry["JWKS_URI"] = provider.jwks_uri
    settings.JWKS_AUTH = config
    settings.ME_REQUIRED_SCOPES = [scope]
    return config, _issuer(config)


def _token(shape: Shape, make, issuer: str, variant: str) -> str:
    header, claims = make(issuer)
    if variant in VARIANTS:
        claims = VARIANTS[variant](issuer, claims)
    return mint(shape.key, claims, header=header)


def test_every_provider_has_a_proved_page():
    proved = {_shape(block)[0].name for block in PROVIDER_BLOCKS}
    assert proved >= {"identityserver4-2", "identityserver4", "duende", "keycloak", "entra", "auth0", "okta", "cognito"}
    assert "dev" in proved  # "Any other OpenID provider": the RFC 9068 default


@pytest.mark.parametrize("block", PROVIDER_BLOCKS, ids=lambda b: f"{b.page}:{b.detail}")
def test_the_page_accepts_the_providers_access_tokens(client, settings, make_provider, block):
    shape, variant = _shape(block)
    _, issuer = _deploy(settings, make_provider, block, shape, shape.scope)
    for label, make in shape.accepted.items():
        response = client.get("/me", **bearer(_token(shape, make, issuer, variant)))
        assert response.status_code == 200, (label, response.content)


@pytest.mark.parametrize("block", PROVIDER_BLOCKS, ids=lambda b: f"{b.page}:{b.detail}")
def test_the_page_refuses_id_tokens_and_tokens_for_other_apis(client, settings, make_provider, block):
    shape, variant = _shape(block)
    _, issuer = _deploy(settings, make_provider, block, shape, shape.scope)
    # A static audience is every API's: there the scope check tells the APIs apart (403), not the audience.
    refused = {label: make for label, make in shape.refused.items() if not variant or "ID token" in label}
    assert refused
    for label, make in refused.items():
        response = client.get("/me", **bearer(_token(shape, make, issuer, variant)))
        assert response.status_code == 401, (label, response.content)


def _page_block(page: str, detail: str) -> Block:
    [block] = [b for b in PROVIDER_BLOCKS if b.page == page and b.detail == detail]
    return block


def test_keycloak_realm_roles_grant_the_scope_with_the_pages_scope_claims(client, settings, make_provider):
    """orders.read sits in realm_access.roles: 200 with the page's SCOPE_CLAIMS, 403 insufficient_scope without."""
    block = _page_block("providers/keycloak.md", "keycloak")
    shape, _ = _shape(block)
    _, issuer = _deploy(settings, make_provider, block, shape, "orders.read")
    header, claims = shape.accepted["user"](issuer)
    assert "orders.read" not in claims["scope"].split()
    token = mint(shape.key, claims, header=header)
    assert client.get("/me", **bearer(token)).status_code == 200
    settings.JWKS_AUTH = {k: v for k, v in settings.JWKS_AUTH.items() if k != "SCOPE_CLAIMS"}
    response = client.get("/me", **bearer(token))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_auth0_permissions_grant_the_scope(client, settings, make_provider):
    block = _page_block("providers/auth0.md", "auth0")
    shape, _ = _shape(block)
    _, issuer = _deploy(settings, make_provider, block, shape, "read:orders")
    header, claims = shape.accepted["user (permissions)"](issuer)
    assert "read:orders" not in claims["scope"].split() and claims["permissions"] == ["read:orders"]
    assert client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code == 200


def test_entra_app_roles_and_v1_tokens(client, settings, make_provider):
    block = _page_block("providers/entra.md", "entra")
    shape, _ = _shape(block)
    _, issuer = _deploy(settings, make_provider, block, shape, "Orders.Read.All")
    header, claims = shape.accepted["v2 app-only (roles)"](issuer)
    assert "scp" not in claims
    assert client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code == 200
    settings.ME_REQUIRED_SCOPES = ["api1"]
    header, claims = shape.accepted["v1 (alias)"](issuer)
    assert claims["iss"].startswith("https://sts.windows.net/")
    assert client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code == 200


def test_entra_multi_tenant_refuses_a_tenant_not_listed(client, settings, make_provider):
    block = _page_block("providers/entra.md", "entra multi-tenant")
    shape, _ = _shape(block)
    _, issuer = _deploy(settings, make_provider, block, shape, "api1")
    header, claims = shape.accepted["v2 delegated (scp)"](issuer)
    stranger = "11111111-2222-3333-4444-555555555555"
    foreign = {**claims, "iss": issuer.replace(claims["tid"], stranger), "tid": stranger}
    assert client.get("/me", **bearer(mint(shape.key, foreign, header=header))).status_code == 401


def test_cognito_groups_grant_scopes_with_the_pages_scope_claims(client, settings, make_provider):
    block = _page_block("providers/cognito.md", "cognito groups")
    shape, _ = _shape(block)
    _, issuer = _deploy(settings, make_provider, block, shape, "admins")
    header, claims = shape.accepted["user"](issuer)
    assert claims["cognito:groups"] == ["admins"]
    assert client.get("/me", **bearer(mint(shape.key, claims, header=header))).status_code == 200
