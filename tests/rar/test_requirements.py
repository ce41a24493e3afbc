"""RFC 9396 beyond the doors: the parsed details on AccessToken, bad requirements, metadata, introspection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from rest_framework.test import APIClient

from jwks_auth.access_token import AccessToken
from jwks_auth.decorators import token_required
from jwks_auth.exceptions import InvalidClaims
from jwks_auth.ninja import JWKSBearer
from jwks_auth.validation.authorization_details import AuthorizationDetail, read_authorization_details
from jwks_auth.web.authorization_details import DetailRequirement, details_requirement
from tests.conftest import bearer
from tests.introspection.test_introspection import fix_issuer, opaque
from tests.support.challenges import challenge_params
from tests.support.introspection_server import IntrospectionServer

pytestmark = pytest.mark.django_db(databases=[])


def test_the_details_are_read_to_the_letter() -> None:
    (detail,) = read_authorization_details(
        {
            "authorization_details": [
                {
                    "type": "payment_initiation",
                    "actions": ["initiate"],
                    "locations": ["https://bank.example/payments"],
                    "identifier": "pay-1",
                    "instructedAmount": {"currency": "EUR", "amount": "123.50"},
                }
            ]
        }
    )
    assert detail == AuthorizationDetail(
        "payment_initiation",
        locations=frozenset({"https://bank.example/payments"}),
        actions=frozenset({"initiate"}),
        identifier="pay-1",
    )
    assert detail.datatypes is None and detail.privileges is None
    assert detail.fields["instructedAmount"] == {"currency": "EUR", "amount": "123.50"}
    assert read_authorization_details({}) == ()


def test_the_access_token_carries_them(client: APIClient, make_token: Callable[..., str]) -> None:
    token = AccessToken({}, {"authorization_details": [{"type": "a"}, {"type": "b", "privileges": ["x"]}]}, "iss")
    assert [detail.type for detail in token.authorization_details] == ["a", "b"]
    assert token.authorization_details[1].privileges == frozenset({"x"})
    with pytest.raises(InvalidClaims):
        _ = AccessToken({}, {"authorization_details": {"type": "a"}}, "iss").authorization_details


@pytest.mark.parametrize(
    "required",
    [
        {"type": "a"},  # an object, not a list
        "a",
        [{"actions": ["read"]}],  # no type
        [{"type": ""}],
        [{"type": "a", "actions": "read"}],
        [{"type": "a", "actions": [1]}],
        [{"type": "a", "identifier": 5}],
        [{"type": "a", "action": ["read"]}],  # a misspelt key would silently ask for nothing
        ["a"],
    ],
)
def test_bad_requirements_are_refused_where_they_are_written(required: Any) -> None:
    with pytest.raises(ImproperlyConfigured):
        details_requirement(required)
    with pytest.raises(ImproperlyConfigured):
        JWKSBearer(authorization_details=required)
    with pytest.raises(ImproperlyConfigured):
        token_required(authorization_details=required)


def test_a_requirement_object_can_be_given_as_is() -> None:
    needed = DetailRequirement("a", actions=frozenset({"read"}))
    assert details_requirement([needed]) == (needed,)


def test_a_view_without_a_requirement_is_a_programming_error(client: APIClient, make_token: Callable[..., str]) -> None:
    with pytest.raises(ImproperlyConfigured, match="required_authorization_details"):
        client.get("/rar/drf/misconfigured", **bearer(make_token()))


def test_the_types_are_listed_in_the_metadata(client: APIClient, jwks_config: Any) -> None:
    assert "authorization_details_types_supported" not in client.get("/.well-known/oauth-protected-resource").json()
    jwks_config(
        RESOURCE_METADATA={"AUTHORIZATION_DETAILS_TYPES": ["payment_initiation", "account_information"]},
    )
    document = client.get("/.well-known/oauth-protected-resource").json()
    assert document["authorization_details_types_supported"] == ["payment_initiation", "account_information"]


def test_a_bad_types_setting_is_reported_by_check(jwks_config: Any) -> None:
    from django.core.management.base import SystemCheckError

    jwks_config(RESOURCE_METADATA={"AUTHORIZATION_DETAILS_TYPES": "payment_initiation"})
    with pytest.raises(SystemCheckError, match="AUTHORIZATION_DETAILS_TYPES|RESOURCE_METADATA"):
        call_command("check")


def test_introspected_details_are_checked_alike(jwks_config: Any, provider: Any) -> None:
    server = IntrospectionServer()
    try:
        jwks_config(INTROSPECTION={"ENDPOINT": server.endpoint, "CLIENT_ID": "api1", "CLIENT_SECRET": "p@ss:w/rd+%"})
        covered = opaque(
            server,
            authorization_details=[{"type": "payment_initiation", "actions": ["initiate"], "datatypes": ["amount"]}],
        )
        uncovered = opaque(server, authorization_details=[{"type": "payment_initiation", "actions": ["status"]}])
        malformed = opaque(server, authorization_details=[{"type": ["payment_initiation"]}])
        fix_issuer(server, provider)
        client = APIClient()
        assert client.post("/rar/drf/payments", **bearer(covered)).status_code == 200
        refused = client.post("/rar/drf/payments", **bearer(uncovered))
        assert refused.status_code == 403
        bad = client.post("/rar/ninja/sync", **bearer(malformed))
        assert (bad.status_code, challenge_params(bad["WWW-Authenticate"])["error"]) == (401, "invalid_token")
    finally:
        server.stop()
