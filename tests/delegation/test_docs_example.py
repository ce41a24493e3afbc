"""docs/delegation.md's example through every front door: the actor chain reaches the view, and
``ACCEPTED_ACTORS`` admits or refuses a delegated token by its current (outermost) actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import AsyncClient, Client

from tests.asgi_app.conftest import run
from tests.support.challenges import parse_challenges
from tests.support.doc_examples import load_example

pytestmark = pytest.mark.django_db(databases=[])

PATHS = ["/drf/orders", "/adrf/orders", "/ninja/orders", "/ninja/async-orders", "/plain/orders", "/class/orders"]
VIAS = ["wsgi", "asgi"]
ORDERS = "https://orders.example.com"
AS = "https://idp.example.test"
CHAIN = {"sub": ORDERS, "iss": AS, "act": {"sub": "gateway"}}


@pytest.fixture(params=["door", "middleware"])
def example_urls(request: pytest.FixtureRequest, settings: Any) -> None:
    settings.ROOT_URLCONF = load_example("delegation", "views").__name__
    if request.param == "middleware":
        settings.MIDDLEWARE = ["jwks_auth.middleware.TokenMiddleware"]


def _get(via: str, path: str, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if via == "wsgi":
        return Client().get(path, headers=headers)
    return run(AsyncClient().get(path, headers=headers))


def _description(response: Any) -> str:
    (params,) = [params for _, params in parse_challenges(response["WWW-Authenticate"]) if "error" in params]
    assert params["error"] == "invalid_token"
    return params["error_description"]


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", PATHS)
def test_the_chain_reaches_the_view_current_actor_first(
    via: str, path: str, example_urls: None, make_token: Callable[..., str]
) -> None:
    response = _get(via, path, make_token(act=CHAIN, may_act={"sub": ORDERS}))
    assert response.status_code == 200, response.content
    assert response.json() == {"sub": "88421113", "actors": [ORDERS, "gateway"], "may_act": {"sub": ORDERS}}
    plain = _get(via, path, make_token())
    assert plain.json() == {"sub": "88421113", "actors": [], "may_act": None}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", PATHS)
def test_accepted_actors_admit_and_refuse_by_the_current_actor(
    via: str, path: str, example_urls: None, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    jwks_config(ACCEPTED_ACTORS=[ORDERS])
    assert _get(via, path, make_token(act=CHAIN)).status_code == 200
    assert _get(via, path, make_token()).status_code == 200  # no act: not a delegation
    # gateway is listed nowhere; a listed actor that acted *before* the current one does not count either.
    for act in ({"sub": "gateway"}, {"sub": "gateway", "act": {"sub": ORDERS}}):
        refused = _get(via, path, make_token(act=act))
        assert refused.status_code == 401
        assert _description(refused) == "actor not accepted"


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", ["/drf/orders", "/ninja/async-orders", "/plain/orders"])
def test_a_malformed_act_is_invalid_token_without_echo(
    via: str, path: str, example_urls: None, make_token: Callable[..., str]
) -> None:
    response = _get(via, path, make_token(act="secret-actor-name"))
    assert response.status_code == 401
    assert _description(response) == "invalid act claim"
    assert b"secret-actor-name" not in response.content and "secret-actor-name" not in response["WWW-Authenticate"]
