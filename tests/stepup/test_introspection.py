"""Step-up with reference tokens: ``acr`` and ``auth_time`` from the RFC 7662 answer of a real loopback endpoint."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.conftest import bearer
from tests.introspection.test_introspection import fix_issuer, opaque
from tests.support.challenges import challenge_params
from tests.support.introspection_server import IntrospectionServer

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture
def server() -> Any:
    endpoint = IntrospectionServer()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def introspecting(jwks_config: Any, server: IntrospectionServer) -> None:
    jwks_config(INTROSPECTION={"ENDPOINT": server.endpoint, "CLIENT_ID": "api1", "CLIENT_SECRET": "p@ss:w/rd+%"})


@pytest.mark.parametrize("path", ["/stepup/drf", "/stepup/ninja/sync", "/stepup/plain/async", "/stepup/class/sync"])
def test_an_introspected_token_is_held_to_the_same_requirement(
    path: str, introspecting: None, server: IntrospectionServer, provider: Any
) -> None:
    client = APIClient()
    strong = opaque(server, acr="urn:hwk", auth_time=int(time.time()) - 30)
    weak = opaque(server, acr="urn:pwd", auth_time=int(time.time()) - 30)
    stale = opaque(server, acr="urn:mfa", auth_time=int(time.time()) - 3600)
    malformed = opaque(server, acr=["urn:mfa"], auth_time=int(time.time()))
    fix_issuer(server, provider)
    assert client.get(path, **bearer(strong)).status_code == 200
    for token in (weak, stale):
        response = client.get(path, **bearer(token))
        params = challenge_params(response["WWW-Authenticate"])
        assert (response.status_code, params["error"]) == (401, "insufficient_user_authentication")
        assert (params["acr_values"], params["max_age"]) == ("urn:mfa urn:hwk", "300")
    response = client.get(path, **bearer(malformed))
    assert (response.status_code, challenge_params(response["WWW-Authenticate"])["error"]) == (401, "invalid_token")
