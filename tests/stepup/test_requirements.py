"""What an endpoint can ask for: ``acr`` alone, ``max_age`` alone, computed per request; and what it may not."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from jwks_auth.decorators import token_required
from jwks_auth.exceptions import InvalidClaims
from jwks_auth.ninja import JWKSBearer
from jwks_auth.permissions import HasAuthenticationContext
from jwks_auth.validation.authentication_context import read_authentication_context
from jwks_auth.web.step_up import AuthenticationRequirement
from tests.conftest import bearer
from tests.support.challenges import challenge_params

pytestmark = pytest.mark.django_db(databases=[])


def test_acr_alone_names_only_acr_values(client: APIClient, authenticated: Callable[..., str]) -> None:
    response = client.get("/stepup/drf-acr", **bearer(authenticated(acr="urn:hwk", ago=None)))
    params = challenge_params(response["WWW-Authenticate"])
    assert (response.status_code, params["acr_values"]) == (401, "urn:mfa")
    assert "max_age" not in params
    assert client.get("/stepup/drf-acr", **bearer(authenticated(acr="urn:mfa", ago=None))).status_code == 200


def test_max_age_alone_names_only_max_age(client: APIClient, authenticated: Callable[..., str]) -> None:
    response = client.get("/stepup/drf-age", **bearer(authenticated(acr=None, ago=120)))
    params = challenge_params(response["WWW-Authenticate"])
    assert (response.status_code, params["max_age"]) == (401, "60")
    assert "acr_values" not in params
    assert client.get("/stepup/drf-age", **bearer(authenticated(acr=None, ago=5))).status_code == 200


def test_max_age_zero_needs_an_authentication_this_second(client: APIClient, authenticated: Callable[..., str]) -> None:
    requirement = AuthenticationRequirement.of(max_age=0)
    assert requirement.challenge_params == (("max_age", "0"),)


def test_the_requirement_can_be_computed_from_the_request(client: APIClient, authenticated: Callable[..., str]) -> None:
    token = authenticated(acr="urn:mfa")
    assert client.get("/stepup/drf-computed?amount=10", **bearer(token)).status_code == 200
    response = client.get("/stepup/drf-computed?amount=5000", **bearer(token))
    assert response.status_code == 401
    assert challenge_params(response["WWW-Authenticate"])["acr_values"] == "urn:hwk"
    assert client.get("/stepup/drf-computed?amount=5000", **bearer(authenticated(acr="urn:hwk"))).status_code == 200


def test_the_challenge_comes_from_the_endpoint_never_from_the_token(
    client: APIClient, authenticated: Callable[..., str]
) -> None:
    response = client.get("/stepup/drf", **bearer(authenticated(acr='urn:x", acr_values="urn:none', ago=1)))
    assert challenge_params(response["WWW-Authenticate"])["acr_values"] == "urn:mfa urn:hwk"
    assert "urn:x" not in response["WWW-Authenticate"] and b"urn:x" not in response.content


def test_scope_is_checked_with_step_up_in_drf(client: APIClient, authenticated: Callable[..., str]) -> None:
    response = client.get("/stepup/drf", **bearer(authenticated(scope="other")))
    assert response.status_code == 403
    assert challenge_params(response["WWW-Authenticate"])["error"] == "insufficient_scope"


def test_a_view_without_a_requirement_is_a_programming_error(
    client: APIClient, authenticated: Callable[..., str]
) -> None:
    with pytest.raises(ImproperlyConfigured, match="required_acr or max_auth_age"):
        client.get("/stepup/drf-misconfigured", **bearer(authenticated()))


@pytest.mark.parametrize(
    "arguments",
    [
        {"acr": "urn:mfa"},  # a string, not a list
        {"acr": []},
        {"acr": ["urn mfa"]},
        {"acr": ['urn:"mfa']},
        {"acr": ["urn:mfa\\"]},
        {"acr": [42]},
        {"max_age": -1},
        {"max_age": 1.5},
        {"max_age": True},
        {"max_age": "300"},
    ],
)
def test_bad_arguments_are_refused_where_they_are_written(arguments: dict[str, Any]) -> None:
    with pytest.raises(ImproperlyConfigured):
        AuthenticationRequirement.of(**arguments)
    with pytest.raises(ImproperlyConfigured):
        JWKSBearer(**arguments)
    with pytest.raises(ImproperlyConfigured):
        token_required(**arguments)
    with pytest.raises(ImproperlyConfigured):
        HasAuthenticationContext.require(**arguments)


def test_require_needs_something_to_require() -> None:
    with pytest.raises(ImproperlyConfigured):
        HasAuthenticationContext.require()


# -- reading the claims ---------------------------------------------------------------------
def test_the_context_is_read_to_the_letter() -> None:
    now = time.time()
    context = read_authentication_context({"acr": "urn:mfa", "auth_time": 1_700_000_000}, now)
    assert (context.acr, context.auth_time) == ("urn:mfa", 1_700_000_000.0)
    assert read_authentication_context({}, now).acr is None
    assert read_authentication_context({"auth_time": 1_700_000_000.5}, now).auth_time == 1_700_000_000.5
    # Within the issuer's leeway a clock a little ahead is not malformed.
    assert read_authentication_context({"auth_time": now + 20}, now, leeway=30).auth_time == now + 20


@pytest.mark.parametrize(
    "claims",
    [
        {"acr": None},
        {"acr": 0},
        {"acr": ""},
        {"auth_time": None},
        {"auth_time": float("inf")},
        {"auth_time": float("nan")},
        {"auth_time": False},
        {"auth_time": "1"},
        {"auth_time": -1},
        {"auth_time": 10**12},
    ],
)
def test_malformed_context_claims(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidClaims) as caught:
        read_authentication_context(claims, time.time())
    assert caught.value.description == "invalid authentication context claims"


@pytest.mark.parametrize("acr", ["urn:mfa", 42, ["urn mfa"], [{"a": 1}]])
def test_bad_view_attributes_are_a_programming_error(acr: Any) -> None:
    from rest_framework.test import APIRequestFactory

    class View:
        required_acr = acr

    request = APIRequestFactory().get("/")
    with pytest.raises(ImproperlyConfigured):
        HasAuthenticationContext().get_authentication_requirement(request, View())


@pytest.mark.parametrize("bad", [True, 1.0])
def test_a_bad_max_age_equal_to_a_good_one_is_still_refused(bad: Any) -> None:
    """The view attributes' requirements are kept by value: True and 1.0 equal 1 but are not whole seconds."""
    from jwks_auth.permissions import _authentication_requirement

    assert _authentication_requirement(("urn:mfa",), 1).max_age == 1
    with pytest.raises(ImproperlyConfigured):
        _authentication_requirement(("urn:mfa",), bad)
