"""docs/step-up.md's example, run as it is written: every door of it answers the RFC 9470 challenge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import AsyncClient, Client

from tests.asgi_app.conftest import run
from tests.support.challenges import challenge_params
from tests.support.doc_examples import load_example

pytestmark = pytest.mark.django_db(databases=[])

PATHS = ["/drf/transfer", "/ninja/transfer", "/plain/transfer", "/class/transfer"]


@pytest.fixture
def example_urls(settings: Any) -> None:
    module = load_example("step-up", "views")
    settings.ROOT_URLCONF = module.__name__


@pytest.mark.parametrize("path", PATHS)
def test_the_example_asks_for_step_up(
    path: str, example_urls: None, jwks_config: Any, authenticated: Callable[..., str]
) -> None:
    def post(token: str) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        if path.startswith("/plain"):
            return run(AsyncClient().post(path, headers=headers))
        return Client().post(path, headers=headers)

    weak = post(authenticated(acr="urn:pwd", scope="payments"))
    assert weak.status_code == 401
    params = challenge_params(weak.headers["WWW-Authenticate"])
    assert params["error"] == "insufficient_user_authentication"
    assert (params["acr_values"], params["max_age"]) == ("urn:mfa urn:hwk", "300")
    strong = post(authenticated(acr="urn:hwk", scope="payments"))
    assert (strong.status_code, strong.json()["acr"]) == (200, "urn:hwk")
    assert post(authenticated(acr="urn:hwk", scope="other")).status_code == 403


def test_the_bound_permission_of_the_example(
    example_urls: None, jwks_config: Any, authenticated: Callable[..., str]
) -> None:
    stale = Client().put("/drf/profile", headers={"Authorization": f"Bearer {authenticated(ago=900)}"})
    params = challenge_params(stale.headers["WWW-Authenticate"])
    assert (stale.status_code, params["max_age"]) == (401, "600")
    assert "acr_values" not in params
    fresh = Client().put("/drf/profile", headers={"Authorization": f"Bearer {authenticated(ago=10)}"})
    assert fresh.status_code == 200
