"""The IS_REVOKED hook: called for every request, cached tokens included."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from jwks_auth.validation.validator import get_validator
from tests.conftest import bearer

pytestmark = pytest.mark.django_db(databases=[])

REVOKED: set[str] = set()
CALLS: list[object] = []


def is_revoked(claims) -> bool:
    CALLS.append(claims)
    return claims.get("jti") in REVOKED


@pytest.fixture(autouse=True)
def _clean():
    REVOKED.clear()
    CALLS.clear()
    yield
    REVOKED.clear()
    CALLS.clear()


def get(client, token):
    return client.get("/me", **bearer(token))


def test_a_revoked_token_is_refused_even_when_cached(client, make_token, jwks_config, provider):
    jwks_config(IS_REVOKED="tests.validation.test_revocation.is_revoked")
    token = make_token(jti="jti-1")
    other = make_token(jti="jti-2")
    assert get(client, token).status_code == 200
    assert get(client, token).status_code == 200
    assert len(get_validator().cache) == 1  # verified once, then served from the cache
    REVOKED.add("jti-1")
    response = get(client, token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert "revoked" in response["WWW-Authenticate"]
    assert get(client, other).status_code == 200
    assert len(CALLS) == 4  # the hook ran for every request, cached or not
    assert all(isinstance(claims, MappingProxyType) for claims in CALLS)
    assert provider.jwks_hits == 1


def test_a_callable_works_as_well_as_a_dotted_path(client, make_token, jwks_config):
    jwks_config(IS_REVOKED=lambda claims: claims["sub"] == "blocked")
    assert get(client, make_token(sub="blocked")).status_code == 401
    assert get(client, make_token(sub="fine")).status_code == 200


def test_no_hook_means_no_revocation(client, make_token, jwks_config):
    jwks_config()
    assert get(client, make_token(jti="jti-1")).status_code == 200


def test_a_failing_revocation_backend_is_503_not_500_and_not_an_acceptance(client, make_token, jwks_config):
    def broken(claims):
        raise ConnectionError("revocation list unreachable")

    jwks_config(IS_REVOKED=broken)
    response = get(client, make_token())
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1


def test_claims_cannot_be_changed_by_the_hook(client, make_token, jwks_config):
    def meddle(claims):
        claims["scope"] = "admin"
        return False

    jwks_config(IS_REVOKED=meddle)
    assert get(client, make_token()).status_code == 503
