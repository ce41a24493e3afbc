"""RFC 9728 protected resource metadata and the resource_metadata challenge parameter."""

from __future__ import annotations

import pytest

from jwks_auth.web.resource_metadata import resource_metadata_url
from tests.conftest import bearer
from tests.support.challenges import challenge_params

pytestmark = pytest.mark.django_db(databases=[])

WELL_KNOWN = "/.well-known/oauth-protected-resource"


def test_metadata_document(client, provider, jwks_config):
    jwks_config(RESOURCE="http://testserver", RESOURCE_DOCUMENTATION="https://docs.example.com/api")
    response = client.get(WELL_KNOWN)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "resource": "http://testserver",
        "authorization_servers": [provider.issuer],
        "scopes_supported": ["api1"],
        "bearer_methods_supported": ["header"],
        "dpop_signing_alg_values_supported": ["ES256", "Ed25519", "EdDSA", "PS256"],
        "dpop_bound_access_tokens_required": False,
        "tls_client_certificate_bound_access_tokens": False,
        "resource_documentation": "https://docs.example.com/api",
    }
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response["Cache-Control"]


def test_the_document_is_served_without_any_token_and_ignores_bad_ones(client, jwks_config):
    assert client.get(WELL_KNOWN, HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 200


def test_resource_scopes_are_the_scopes_supported(client, jwks_config):
    jwks_config(RESOURCE_METADATA={"SCOPES": ["api1", "orders.read", "orders.write"]})
    assert client.get(WELL_KNOWN).json()["scopes_supported"] == ["api1", "orders.read", "orders.write"]
    jwks_config(RESOURCE_METADATA={"SCOPES": []})
    assert "scopes_supported" not in client.get(WELL_KNOWN).json()


def test_every_trusted_issuer_is_an_authorization_server_but_aliases_are_not(client, settings):
    settings.JWKS_AUTH = {
        "RESOURCE": "https://api.example.com",
        "AUDIENCE": ["api1"],
        "ISSUERS": [
            {
                "ISSUER": "https://login.microsoftonline.com/{tenant}/v2.0",
                "TENANTS": ["t1", "t2"],
                "ALIASES": ["https://sts.windows.net/{tenant}/"],
            },
            {"ISSUER": "https://idp.example.com"},
        ],
    }
    document = client.get(WELL_KNOWN).json()
    assert document["resource"] == "https://api.example.com"
    assert document["authorization_servers"] == [
        "https://login.microsoftonline.com/t1/v2.0",
        "https://login.microsoftonline.com/t2/v2.0",
        "https://idp.example.com",
    ]


def test_the_resource_without_a_path_is_at_the_bare_well_known_url(client, settings, jwks_config):
    jwks_config(RESOURCE="http://testserver")
    assert client.get(WELL_KNOWN).status_code == 200
    assert client.get(WELL_KNOWN + "/").status_code == 200
    assert client.get(WELL_KNOWN + "/other").status_code == 404


def test_a_resource_with_a_path_inserts_the_well_known_segment_before_it(client, jwks_config, make_token):
    jwks_config(RESOURCE="http://testserver/api/v1")
    assert resource_metadata_url() == "http://testserver/.well-known/oauth-protected-resource/api/v1"
    response = client.get(WELL_KNOWN + "/api/v1")
    assert response.status_code == 200
    assert response.json()["resource"] == "http://testserver/api/v1"
    assert client.get(WELL_KNOWN).status_code == 404
    assert client.get(WELL_KNOWN + "/api").status_code == 404
    challenge = challenge_params(client.get("/me")["WWW-Authenticate"])
    assert challenge["resource_metadata"] == "http://testserver/.well-known/oauth-protected-resource/api/v1"


@pytest.mark.parametrize(
    "resource, expected",
    [
        ("https://api.example.com", "https://api.example.com/.well-known/oauth-protected-resource"),
        ("https://api.example.com/", "https://api.example.com/.well-known/oauth-protected-resource"),
        ("https://api.example.com:8443/r/1", "https://api.example.com:8443/.well-known/oauth-protected-resource/r/1"),
        ("https://api.example.com/r?x=1", "https://api.example.com/.well-known/oauth-protected-resource/r?x=1"),
    ],
)
def test_metadata_url_construction(settings, resource, expected):
    settings.JWKS_AUTH = {"RESOURCE": resource}
    assert resource_metadata_url() == expected


def test_without_a_resource_there_is_no_metadata_and_no_parameter(client, jwks_config, make_token):
    jwks_config(RESOURCE=None)
    assert client.get(WELL_KNOWN).status_code == 404
    assert "resource_metadata" not in client.get("/me")["WWW-Authenticate"]


def test_only_get_and_head(client, jwks_config):
    assert client.head(WELL_KNOWN).status_code == 200
    assert client.post(WELL_KNOWN).status_code == 405


@pytest.mark.parametrize("case", ["no token", "bad token", "missing scope"])
def test_every_challenge_points_at_the_metadata(client, make_token, case):
    headers = {} if case == "no token" else bearer("x.y.z" if case == "bad token" else make_token(scope="openid"))
    response = client.get("/me", **headers)
    assert response.status_code == {"no token": 401, "bad token": 401, "missing scope": 403}[case]
    params = challenge_params(response["WWW-Authenticate"])
    assert params["resource_metadata"] == "http://testserver/.well-known/oauth-protected-resource"
    # ... and the document there names the resource the client was talking to.
    document = client.get(params["resource_metadata"].removeprefix("http://testserver")).json()
    assert document["resource"] == "http://testserver"


@pytest.mark.parametrize(
    ("setting", "value"),
    [("RESOURCE", "http://[::1"), ("RESOURCE", 5), ("DPOP", "sometimes"), ("ISSUERS", [{"JWKS_URI": 5}])],
)
def test_an_unusable_setting_makes_the_metadata_a_503_not_a_500(client, jwks_config, caplog, setting, value):
    jwks_config(**{"RESOURCE": "http://testserver", setting: value})
    response = client.get(WELL_KNOWN)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json() == {"detail": "Token verification is temporarily unavailable."}
    assert "JWKS_AUTH" in caplog.text
