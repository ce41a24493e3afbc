"""The answers the quick start and the PyPI page show are the ones the API gives, header for header."""

from __future__ import annotations

import re

import pytest

from tests.conftest import bearer
from tests.docs.pages import DOCS, PACKAGE_README
from tests.support.tokens import access_claims, mint

pytestmark = pytest.mark.django_db(databases=[])


def _shown() -> list[str]:
    """The WWW-Authenticate headers of the quick start's example answers, in order: no token, expired, no scope."""
    return re.findall(r"^WWW-Authenticate: (.*)$", (DOCS / "quickstart.md").read_text(), re.M)


@pytest.fixture
def snippet_api(settings, provider, signing_key):
    """The quick start's JWKS_AUTH, with its issuer served on loopback; /me requires orders.read."""
    settings.JWKS_AUTH = {"ISSUER": provider.issuer, "AUDIENCE": ["orders-api"]}
    settings.ME_REQUIRED_SCOPES = ["orders.read"]

    def token(**claims):
        return mint(signing_key, {**access_claims(provider.issuer, audience="orders-api", sub="alice"), **claims})

    return token


def test_no_token(client, snippet_api):
    response = client.get("/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == _shown()[0]
    # The PyPI page says the same.
    assert f"`WWW-Authenticate: {_shown()[0]}`" in " ".join(PACKAGE_README.read_text().split())


def test_an_expired_token(client, snippet_api):
    response = client.get("/me", **bearer(snippet_api(exp=1_000_000, iat=999_000)))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == _shown()[1]


def test_a_token_without_the_scope(client, snippet_api):
    response = client.get("/me", **bearer(snippet_api(scope="profile")))
    assert response.status_code == 403
    assert response["WWW-Authenticate"] == _shown()[2]
