"""RFC 8414 discovery: an OAuth-only issuer (no OpenID document) works, with the same exact-issuer check.

Real loopback providers: the OpenID location answers 404, the RFC 8414
location (well-known path inserted between host and path) has the metadata.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jwks_auth.keys.store.discovery import oauth_metadata_url, openid_configuration_url
from tests.conftest import AUDIENCE, bearer
from tests.support.jwks_server import DISCOVERY_PATH, JWKSProvider
from tests.support.keys import SigningKey
from tests.support.tokens import access_claims, mint

pytestmark = pytest.mark.django_db(databases=[])


@pytest.mark.parametrize(
    "issuer, expected",
    [
        ("https://as.example/tenant1", "https://as.example/.well-known/oauth-authorization-server/tenant1"),
        ("https://as.example/tenant1/", "https://as.example/.well-known/oauth-authorization-server/tenant1"),
        ("https://as.example", "https://as.example/.well-known/oauth-authorization-server"),
        ("https://as.example/", "https://as.example/.well-known/oauth-authorization-server"),
        ("https://as.example:8443/a/b", "https://as.example:8443/.well-known/oauth-authorization-server/a/b"),
    ],
)
def test_the_well_known_path_goes_between_host_and_path(issuer: str, expected: str) -> None:
    assert oauth_metadata_url(issuer) == expected


def test_the_openid_path_is_appended() -> None:
    assert openid_configuration_url("https://as.example/tenant1") == (
        "https://as.example/tenant1/.well-known/openid-configuration"
    )


def _metadata(issuer: str, jwks_uri: str) -> tuple[int, bytes, dict[str, str]]:
    document = {"issuer": issuer, "jwks_uri": jwks_uri, "token_endpoint": issuer + "/token"}
    return 200, json.dumps(document).encode(), {"Content-Type": "application/json"}


@pytest.fixture
def oauth_only(signing_key: SigningKey) -> Iterator[JWKSProvider]:
    """An authorization server that publishes only RFC 8414 metadata, for the issuer ``<base>/tenant1``."""
    server = JWKSProvider()
    server.set_keys(signing_key)
    server.issuer = server.base_url + "/tenant1"
    del server.routes[DISCOVERY_PATH]
    server.routes["/.well-known/oauth-authorization-server/tenant1"] = _metadata(server.issuer, server.jwks_uri)
    yield server
    server.stop()


@pytest.fixture
def configure(settings: Any) -> Callable[[JWKSProvider], None]:
    def apply(server: JWKSProvider) -> None:
        settings.JWKS_AUTH = {"ISSUER": server.issuer, "AUDIENCE": [AUDIENCE]}

    return apply


def _token(server: JWKSProvider, key: SigningKey) -> str:
    return mint(key, access_claims(server.issuer))


def test_an_oauth_only_issuer_works(
    client: Any, oauth_only: JWKSProvider, configure: Callable[..., None], signing_key: SigningKey
) -> None:
    configure(oauth_only)
    response = client.get("/me", **bearer(_token(oauth_only, signing_key)))
    assert response.status_code == 200, response.content
    assert oauth_only.hits["/tenant1" + DISCOVERY_PATH] == 1  # OpenID first: 404
    assert oauth_only.hits["/.well-known/oauth-authorization-server/tenant1"] == 1
    # Cached like the OpenID document: another token asks for neither.
    assert client.get("/me", **bearer(_token(oauth_only, signing_key))).status_code == 200
    assert oauth_only.hits["/.well-known/oauth-authorization-server/tenant1"] == 1
    assert oauth_only.hits["/tenant1" + DISCOVERY_PATH] == 1


def test_the_rfc_8414_document_must_name_the_issuer_exactly(
    client: Any, oauth_only: JWKSProvider, configure: Callable[..., None], signing_key: SigningKey
) -> None:
    oauth_only.routes["/.well-known/oauth-authorization-server/tenant1"] = _metadata(
        oauth_only.issuer + "/", oauth_only.jwks_uri
    )
    configure(oauth_only)
    response = client.get("/me", **bearer(_token(oauth_only, signing_key)))
    assert response.status_code == 503
    assert oauth_only.jwks_hits == 0  # the keys of a document for another issuer are never fetched


def test_an_outage_of_the_openid_location_is_not_a_reason_to_look_elsewhere(
    client: Any, oauth_only: JWKSProvider, configure: Callable[..., None], signing_key: SigningKey
) -> None:
    oauth_only.routes["/tenant1" + DISCOVERY_PATH] = (500, b"{}", {"Content-Type": "application/json"})
    configure(oauth_only)
    response = client.get("/me", **bearer(_token(oauth_only, signing_key)))
    assert response.status_code == 503
    assert response["Retry-After"]
    assert oauth_only.hits["/.well-known/oauth-authorization-server/tenant1"] == 0


def test_an_openid_provider_is_not_asked_for_rfc_8414(
    client: Any, provider: JWKSProvider, jwks_config: Any, token: str
) -> None:
    assert client.get("/me", **bearer(token)).status_code == 200
    assert provider.discovery_hits == 1
    assert provider.hits["/.well-known/oauth-authorization-server"] == 0


def test_an_issuer_without_a_path(client: Any, signing_key: SigningKey, configure: Callable[..., None]) -> None:
    server = JWKSProvider()
    try:
        server.set_keys(signing_key)
        del server.routes[DISCOVERY_PATH]
        server.routes["/.well-known/oauth-authorization-server"] = _metadata(server.issuer, server.jwks_uri)
        configure(server)
        assert client.get("/me", **bearer(_token(server, signing_key))).status_code == 200
    finally:
        server.stop()
