"""docs/fapi2.md's example through every front door: under fapi2 only sender-constrained PS256/ES256/EdDSA
tokens get in (done-when of issue 29: an RS256 token and an unbound PS256/ES256 token are refused, a
DPoP-bound ES256 token is accepted)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import AsyncClient, Client

from tests.asgi_app.conftest import run
from tests.support.challenges import parse_challenges
from tests.support.doc_examples import load_example

pytestmark = pytest.mark.django_db(databases=[])

PATHS = [
    "/drf/accounts",
    "/adrf/accounts",
    "/ninja/accounts",
    "/ninja/async-accounts",
    "/plain/accounts",
    "/class/accounts",
]
VIAS = ["wsgi", "asgi"]


@pytest.fixture(params=["door", "middleware"])
def example_urls(request: pytest.FixtureRequest, settings: Any) -> None:
    settings.ROOT_URLCONF = load_example("fapi2", "views").__name__
    if request.param == "middleware":
        settings.MIDDLEWARE = ["jwks_auth.middleware.TokenMiddleware"]


def _get(via: str, path: str, headers: dict[str, str]) -> Any:
    if via == "wsgi":
        return Client().get(path, headers=headers)
    return run(AsyncClient().get(path, headers=headers))


def _error(response: Any) -> dict[str, str]:
    """The parameters of the challenge that carries the error (on the scheme the request used)."""
    (params,) = [params for _, params in parse_challenges(response["WWW-Authenticate"]) if "error" in params]
    return params


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("alg", ["ES256", "PS256", "EdDSA"])
def test_a_dpop_bound_token_is_accepted(via: str, path: str, alg: str, example_urls: None, issuer: Any) -> None:
    key = issuer.dpop_key("ES256")
    token = key.token("api1", alg=alg)
    response = _get(via, path, key.headers("GET", path, token))
    assert response.status_code == 200, response.content
    assert response.json() == {"scheme": "DPoP", "jkt": key.jkt, "x5t#S256": None}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", PATHS)
def test_a_certificate_bound_token_is_accepted(via: str, path: str, example_urls: None, issuer: Any) -> None:
    certificate = issuer.client_certificate()
    token = certificate.token("api1", alg="PS256")
    response = _get(via, path, certificate.headers(token))
    assert response.status_code == 200, response.content
    assert response.json() == {"scheme": "Bearer", "jkt": None, "x5t#S256": certificate.x5t_s256}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("alg", ["ES256", "PS256", "EdDSA"])
def test_an_unbound_token_is_refused(via: str, path: str, alg: str, example_urls: None, issuer: Any) -> None:
    response = _get(via, path, {"Authorization": f"Bearer {issuer.token('api1', alg=alg)}"})
    assert response.status_code == 401
    error = _error(response)
    assert (error["error"], error["error_description"]) == ("invalid_token", "sender-constrained token required")


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", PATHS)
def test_an_rs256_token_is_refused_even_dpop_bound(via: str, path: str, example_urls: None, issuer: Any) -> None:
    key = issuer.dpop_key("ES256")
    bound = key.token("api1", alg="RS256")
    response = _get(via, path, key.headers("GET", path, bound))
    assert response.status_code == 401
    assert _error(response)["error_description"] == "algorithm not allowed"
    response = _get(via, path, {"Authorization": f"Bearer {issuer.token('api1', alg='RS256')}"})
    assert response.status_code == 401
    assert _error(response)["error_description"] == "algorithm not allowed"
