"""Scopes: one normalised set on request.auth, and the DRF permission classes that check it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIRequestFactory

from jwks_auth.access_token import AccessToken
from jwks_auth.conf.settings import issuer_configs
from jwks_auth.exceptions import InvalidClaims
from jwks_auth.permissions import HasAnyScope, HasScopes, required_scope_alternatives
from jwks_auth.validation.scopes import scopes_from_claims
from tests.conftest import bearer
from tests.support import scope_views as views
from tests.support.challenges import challenge_params

pytestmark = pytest.mark.django_db(databases=[])


# -- the normalised set ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "claims, scope_claims, expected",
    [
        ({"scope": "api1 orders.read"}, ["scope"], {"api1", "orders.read"}),
        ({"scope": "  api1   orders.read "}, ["scope"], {"api1", "orders.read"}),
        ({"scope": ["api1", "orders.read"]}, ["scope"], {"api1", "orders.read"}),
        ({"scp": "access_as_user"}, ["scp"], {"access_as_user"}),
        ({"scp": ["openid", "api1"]}, ["scp"], {"openid", "api1"}),
        ({"scp": "User.Read", "roles": ["Data.Write"]}, ["scp", "roles"], {"User.Read", "Data.Write"}),
        ({"scope": "openid", "permissions": ["read:messages"]}, ["scope", "permissions"], {"openid", "read:messages"}),
        ({"scope": "a", "scp": "b"}, ["scope"], {"a"}),  # only the configured claims count
        ({"scope": "a", "roles": ["admin"]}, ["scope"], {"a"}),  # roles only when configured
        ({}, ["scope", "scp"], set()),
        ({"scope": ""}, ["scope"], set()),
        ({"scope": []}, ["scope"], set()),
        ({"realm_access": {"roles": ["reader"]}}, [("realm_access", "roles")], {"reader"}),
        (
            {"resource_access": {"api1": {"roles": ["writer"]}, "other": {"roles": ["x"]}}},
            [("resource_access", "api1", "roles")],
            {"writer"},
        ),
        ({"resource_access": {"other": {"roles": ["x"]}}}, [("resource_access", "api1", "roles")], set()),
        ({"realm_access": "nope"}, [("realm_access", "roles")], set()),
        ({"https://example.com/roles": ["a"]}, ["https://example.com/roles"], {"a"}),
    ],
)
def test_scopes_are_one_set_from_every_configured_claim(claims, scope_claims, expected):
    assert scopes_from_claims(claims, scope_claims) == frozenset(expected)


@pytest.mark.parametrize("value", [42, {"a": 1}, ["a", 1], [["a"]], True])
def test_a_scope_claim_of_the_wrong_type_is_invalid(value):
    with pytest.raises(InvalidClaims):
        scopes_from_claims({"scope": value}, ["scope"])


def test_a_badly_typed_scope_claim_is_401_not_500(client, make_token):
    response = client.get("/me", **bearer(make_token(scope={"api1": True})))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_request_auth_carries_the_normalised_set(client, make_token, jwks_config):
    jwks_config(SCOPE_CLAIMS=["scope", "scp", "permissions", "roles"])
    token = make_token(scope=["api1", "orders.read"], scp="orders.write", permissions=["p:1"], roles=["r1"])
    response = client.get("/authz/claims", **bearer(token))
    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["api1", "orders.read", "orders.write", "p:1", "r1"]


def test_keycloak_roles_can_be_mapped_into_the_set(client, make_token, jwks_config):
    jwks_config(SCOPE_CLAIMS=["scope", ["realm_access", "roles"], ["resource_access", "api1", "roles"]])
    token = make_token(
        scope="openid api1",
        realm_access={"roles": ["offline_access", "orders.read"]},
        resource_access={"api1": {"roles": ["orders.write"]}, "account": {"roles": ["manage-account"]}},
    )
    response = client.get("/authz/all", **bearer(token))
    assert response.status_code == 200, response.content
    assert response.json()["scopes"] == ["api1", "offline_access", "openid", "orders.read", "orders.write"]
    # Another client's roles are not this API's.
    assert "manage-account" not in response.json()["scopes"]
    config = issuer_configs()[0]
    assert config.scope_claims == ("scope", ("realm_access", "roles"), ("resource_access", "api1", "roles"))


def test_roles_are_not_scopes_unless_configured(client, make_token):
    token = make_token(scope="api1", roles=["orders.read", "orders.write"])
    response = client.get("/authz/all", **bearer(token))
    assert response.status_code == 403


def test_the_default_profile_reads_scope_only_as_the_readme_says(client, make_token, jwks_config):
    """rfc9068's SCOPE_CLAIMS is ["scope"]: a token with only scp has no scopes until scp is named."""
    token = make_token(scope=None, scp="api1")
    assert client.get("/me", **bearer(token)).status_code == 403
    jwks_config(SCOPE_CLAIMS=["scope", "scp"])
    assert client.get("/me", **bearer(token)).status_code == 200


# -- /me ------------------------------------------------------------------------------------------
def test_me_requires_api1_by_default(client, make_token):
    code = client.get("/me", **bearer(make_token(scope="api1"))).status_code
    assert code == 200
    response = client.get("/me", **bearer(make_token(scope="openid profile")))
    assert response.status_code == 403
    params = challenge_params(response["WWW-Authenticate"])
    assert params["error"] == "insufficient_scope" and params["scope"] == "api1"


def test_me_scopes_are_configurable(client, make_token, settings):
    settings.ME_REQUIRED_SCOPES = ["api1", "profile"]
    code = client.get("/me", **bearer(make_token(scope="api1"))).status_code
    assert code == 403
    code = client.get("/me", **bearer(make_token(scope="profile api1"))).status_code
    assert code == 200
    settings.ME_REQUIRED_SCOPES = []
    code = client.get("/me", **bearer(make_token(scope=None))).status_code
    assert code == 200


def test_me_without_a_token_is_401_not_403(client):
    response = client.get("/me")
    assert response.status_code == 401
    assert "insufficient_scope" not in response["WWW-Authenticate"]


# -- HasScopes / HasAnyScope / HasMethodScopes ----------------------------------------------------
@pytest.mark.parametrize("path", ["/authz/all", "/authz/bound"])
@pytest.mark.parametrize(
    "scope, status",
    [
        ("orders.read orders.write", 200),
        ("orders.write orders.read api1", 200),
        ("orders.read", 403),
        ("orders.write", 403),
        ("", 403),
        (None, 403),
        ("orders.readorders.write", 403),
        ("ORDERS.READ orders.write", 403),
    ],
)
def test_all_scopes(client, make_token, path, scope, status):
    response = client.get(path, **bearer(make_token(scope=scope)))
    assert response.status_code == status
    if status == 403:
        params = challenge_params(response["WWW-Authenticate"])
        assert params["error"] == "insufficient_scope"
        assert params["scope"] == "orders.read orders.write"
        assert params["resource_metadata"] == "http://testserver/.well-known/oauth-protected-resource"


@pytest.mark.parametrize(
    "scope, status",
    [("orders.read", 200), ("orders.admin", 200), ("orders.read orders.admin", 200), ("orders.write", 403), ("", 403)],
)
def test_any_scope(client, make_token, scope, status):
    response = client.get("/authz/any", **bearer(make_token(scope=scope)))
    assert response.status_code == status
    if status == 403:
        assert challenge_params(response["WWW-Authenticate"])["scope"] == "orders.admin orders.read"


@pytest.mark.parametrize(
    "method, scope, status",
    [
        ("get", "orders.read", 200),
        ("head", "orders.read", 200),
        ("options", "orders.read", 200),
        ("get", "orders.write", 403),
        ("post", "orders.write", 200),
        ("put", "orders.write", 200),
        ("delete", "orders.write", 200),
        ("post", "orders.read", 403),
        ("delete", "orders.read", 403),
    ],
)
def test_read_scopes_for_safe_methods_write_scopes_for_the_rest(client, make_token, method, scope, status):
    response = getattr(client, method)("/authz/rw", **bearer(make_token(scope=scope)))
    assert response.status_code == status
    if status == 403:
        expected = "orders.read" if method in ("get", "head", "options") else "orders.write"
        assert challenge_params(response["WWW-Authenticate"])["scope"] == expected


@pytest.mark.parametrize(
    "method, scope, status",
    [
        ("get", "orders.read", 200),
        ("post", "orders.write", 200),
        ("post", "orders.read", 403),
        ("put", "", 200),  # mapped to no scopes
        ("delete", "orders.read orders.write orders.admin", 403),
    ],  # not in the map: denied whatever the scopes
)
def test_method_map(client, make_token, method, scope, status):
    response = getattr(client, method)("/authz/map", **bearer(make_token(scope=scope)))
    assert response.status_code == status


def test_a_method_missing_from_the_map_is_a_plain_403(client, make_token):
    response = client.delete("/authz/map", **bearer(make_token(scope="orders.write")))
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response


def test_a_view_with_an_empty_scope_list_needs_only_a_valid_token(client, make_token):
    code = client.get("/authz/none", **bearer(make_token(scope=None))).status_code
    assert code == 200
    assert client.get("/authz/none").status_code == 401


def test_forgetting_required_scopes_is_a_configuration_error_not_an_open_door(make_token, jwks_config):
    from jwks_auth.authentication import JWKSAuthentication

    request = APIRequestFactory().get("/x", **bearer(make_token(scope="anything")))
    view = views.UnconfiguredView()
    drf_request = view.initialize_request(request)
    _ = drf_request.user  # authenticate
    with pytest.raises(ImproperlyConfigured):
        HasScopes().has_permission(drf_request, view)
    assert isinstance(drf_request.successful_authenticator, JWKSAuthentication)


def test_require_needs_scope_names():
    for bad in ((), ("",), ("a b",), (1,)):
        with pytest.raises(ImproperlyConfigured):
            HasScopes.require(*bad)


# -- composition ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "scope, status", [("orders.admin", 200), ("orders.read", 200), ("orders.write", 403), (None, 403)]
)
def test_or_of_scope_permissions_admits_either(client, make_token, scope, status):
    response = client.get("/authz/or", **bearer(make_token(scope=scope)))
    assert response.status_code == status
    if status == 403:
        assert challenge_params(response["WWW-Authenticate"])["scope"] == "orders.admin orders.read"


@pytest.mark.parametrize("path", ["/authz/admin-or-scope", "/authz/scope-or-admin"])
def test_or_with_a_drf_permission_on_either_side(client, make_token, path):
    scope = "orders.read" if path == "/authz/admin-or-scope" else "orders.admin"
    code = client.get(path, **bearer(make_token(scope=scope))).status_code
    assert code == 200
    response = client.get(path, **bearer(make_token(scope="other")))
    assert response.status_code == 403
    assert challenge_params(response["WWW-Authenticate"])["scope"] == scope
    assert client.get(path).status_code == 401


def test_not_of_a_scope_permission(client, make_token):
    code = client.get("/authz/and-not", **bearer(make_token(scope="api1"))).status_code
    assert code == 200
    response = client.get("/authz/and-not", **bearer(make_token(scope="api1 blocked")))
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response  # no scope would help
    assert client.get("/authz/and-not").status_code == 401


@pytest.mark.parametrize(
    "scope, status, hint",
    [
        ("orders.read eu", 200, None),
        ("orders.read us", 200, None),
        ("orders.read", 403, "eu us"),
        ("eu", 403, "orders.read"),
    ],
)
def test_and_of_all_and_any(client, make_token, scope, status, hint):
    response = client.get("/authz/and-any", **bearer(make_token(scope=scope)))
    assert response.status_code == status
    if hint:
        assert challenge_params(response["WWW-Authenticate"])["scope"] == hint


def test_scope_alternatives_for_documentation():
    factory = APIRequestFactory()

    def alternatives(view_class, method="get"):
        view = view_class()
        view.request = view.initialize_request(getattr(factory, method)("/"))
        return sorted(sorted(alt) for alt in required_scope_alternatives(view))

    assert alternatives(views.AllScopesView) == [["orders.read", "orders.write"]]
    assert alternatives(views.AnyScopeView) == [["orders.admin"], ["orders.read"]]
    assert alternatives(views.ReadWriteView) == [["orders.read"]]
    assert alternatives(views.ReadWriteView, "post") == [["orders.write"]]
    assert alternatives(views.OrView) == [["orders.admin"], ["orders.read"]]
    assert alternatives(views.AdminOrScopeView) == [["orders.read"]]
    assert alternatives(views.ScopeAndAnyView) == [["eu", "orders.read"], ["orders.read", "us"]]
    assert alternatives(views.AndNotView) == [[]]


# -- properties -------------------------------------------------------------------------------------------

_scope = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.:/_-", min_size=1, max_size=12)


@given(st.lists(_scope, max_size=8))
def test_string_and_array_forms_give_the_same_set(words):
    as_string = scopes_from_claims({"scope": " ".join(words)}, ["scope"])
    as_array = scopes_from_claims({"scope": words}, ["scope"])
    as_scp = scopes_from_claims({"scp": words}, ["scp"])
    assert as_string == as_array == as_scp == frozenset(words)


@hypothesis_settings(max_examples=200)
@given(st.frozensets(_scope, max_size=5), st.frozensets(_scope, min_size=1, max_size=4))
def test_all_means_subset_and_any_means_overlap(granted, required):
    factory = APIRequestFactory()
    view = views.NoScopesView()
    request = view.initialize_request(factory.get("/"))
    request._authenticator, request._user = object(), object()
    request._auth = AccessToken({}, {}, "https://idp.example.com", granted)
    for permission, expected in (
        (HasScopes.require(*required)(), required <= granted),
        (HasAnyScope.require(*required)(), bool(required & granted)),
    ):
        allowed, missing = permission.check(request, view)
        assert allowed is expected
        assert missing == (None if expected else required)
