"""RFC 9470 step-up through every front door, over the WSGI and the ASGI test clients.

A token whose ``acr`` is not one asked for, whose ``auth_time`` is too old or
missing, gets 401 ``insufficient_user_authentication`` with ``acr_values``
and ``max_age`` from the endpoint (never from the token); a malformed ``acr``
or ``auth_time`` a 401 ``invalid_token`` that does not echo it; a token that
meets the requirement, 200.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import AsyncClient, Client

from tests.asgi_app.conftest import run
from tests.support import dpop
from tests.support.challenges import challenge_params, parse_challenges
from tests.support.keys import SigningKey
from tests.support.step_up_views import DOORS
from tests.support.tokens import access_claims, mint

pytestmark = pytest.mark.django_db(databases=[])

VIAS = ["wsgi", "asgi"]


def _ask(via: str, path: str, headers: dict[str, str]) -> Any:
    if via == "wsgi":
        return Client().get(path, headers=headers)
    return run(AsyncClient().get(path, headers=headers))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
def test_a_token_that_meets_the_requirement_is_admitted(
    via: str, path: str, jwks_config: Any, authenticated: Callable[..., str]
) -> None:
    for acr in ("urn:mfa", "urn:hwk"):  # any one of the values suffices
        response = _ask(via, path, _bearer(authenticated(acr=acr, ago=290)))
        assert response.status_code == 200, (path, response.content)
        assert response.json()["acr"] == acr


SHORTFALLS = {
    "weaker acr": {"acr": "urn:pwd"},
    "no acr": {"acr": None},
    "too old": {"ago": 400},
    "no auth_time": {"ago": None},
}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
@pytest.mark.parametrize("shortfall", list(SHORTFALLS))
def test_a_shortfall_gets_the_rfc_9470_challenge(
    via: str, path: str, shortfall: str, jwks_config: Any, authenticated: Callable[..., str]
) -> None:
    response = _ask(via, path, _bearer(authenticated(**SHORTFALLS[shortfall])))
    assert response.status_code == 401, (path, response.content)
    params = challenge_params(response.headers["WWW-Authenticate"])
    assert params["error"] == "insufficient_user_authentication"
    assert params["error_description"] == "A different authentication level is required"
    assert params["acr_values"] == "urn:mfa urn:hwk"
    assert params["max_age"] == "300"
    assert response.json() == {"detail": "A different authentication level is required"}


MALFORMED = {
    "acr number": {"acr": 42},
    "acr list": {"acr": ["urn:mfa"]},
    "acr empty": {"acr": ""},
    "acr object": {"acr": {"urn:mfa": True}},
    "auth_time string": {"auth_time": "1700000000"},
    "auth_time boolean": {"auth_time": True},
    "auth_time negative": {"auth_time": -5},
    "auth_time in the future": {"auth_time": int(time.time()) + 3600},
    "auth_time list": {"auth_time": [1]},
}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_claim_is_invalid_token_without_echo(
    via: str, path: str, case: str, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    claims = {"acr": "urn:mfa", "auth_time": int(time.time()) - 5, **MALFORMED[case]}
    response = _ask(via, path, _bearer(make_token(**claims)))
    assert response.status_code == 401, (path, response.content)
    params = challenge_params(response.headers["WWW-Authenticate"])
    assert params["error"] == "invalid_token"
    assert params["error_description"] == "invalid authentication context claims"
    assert "acr_values" not in params
    assert response.json() == {"detail": "invalid authentication context claims"}


@pytest.mark.parametrize("via", VIAS)
def test_json_null_and_non_finite_values_are_malformed(via: str, jwks_config: Any, signing_key: SigningKey) -> None:
    """``null`` is not an absent claim, and ``Infinity`` (which Python's JSON reads) is not a NumericDate."""
    for body in ('"acr":null', '"acr":"urn:mfa","auth_time":Infinity', '"acr":"urn:mfa","auth_time":NaN'):
        claims = json.dumps(access_claims(jwks_config()["ISSUER"]))[:-1] + "," + body + "}"
        token = mint(signing_key, claims)
        response = _ask(via, "/stepup/drf", _bearer(token))
        assert response.status_code == 401, (body, response.content)
        assert challenge_params(response.headers["WWW-Authenticate"])["error"] == "invalid_token"


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
def test_no_token_is_the_plain_challenge(via: str, path: str, jwks_config: Any) -> None:
    response = _ask(via, path, {})
    assert response.status_code == 401
    assert "error" not in challenge_params(response.headers["WWW-Authenticate"])


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
def test_a_dpop_request_gets_the_challenge_on_the_dpop_scheme(
    via: str, path: str, jwks_config: Any, authenticated: Callable[..., str]
) -> None:
    key = SigningKey.ec(kid="step-up-client")
    token = authenticated(acr="urn:pwd", cnf={"jkt": dpop.thumbprint(key)})
    proof = dpop.make_proof(key, "GET", f"http://testserver{path}", token=token)
    response = _ask(via, path, {"Authorization": f"DPoP {token}", "DPoP": proof})
    assert response.status_code == 401
    with_error = [(s, p) for s, p in parse_challenges(response.headers["WWW-Authenticate"]) if "error" in p]
    assert len(with_error) == 1
    scheme, params = with_error[0]
    assert scheme == "DPoP"
    assert (params["error"], params["acr_values"], params["max_age"]) == (
        "insufficient_user_authentication",
        "urn:mfa urn:hwk",
        "300",
    )
    strong = authenticated(cnf={"jkt": dpop.thumbprint(key)})
    proof = dpop.make_proof(key, "GET", f"http://testserver{path}", token=strong)
    assert _ask(via, path, {"Authorization": f"DPoP {strong}", "DPoP": proof}).status_code == 200


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", [p for p, door in DOORS.items() if door not in ("drf", "adrf")])
def test_behind_the_middleware_the_door_still_asks_for_step_up(
    via: str, path: str, settings: Any, jwks_config: Any, authenticated: Callable[..., str]
) -> None:
    """TokenMiddleware admits a valid token; the endpoint's requirement is checked on the token it admitted."""
    settings.MIDDLEWARE = ["jwks_auth.middleware.TokenMiddleware"]
    weak = _ask(via, path, _bearer(authenticated(acr="urn:pwd")))
    assert weak.status_code == 401
    assert challenge_params(weak.headers["WWW-Authenticate"])["error"] == "insufficient_user_authentication"
    assert _ask(via, path, _bearer(authenticated())).status_code == 200


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
def test_a_malformed_claim_is_signalled_as_a_rejected_token(
    via: str, path: str, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    """A 401 ``invalid_token`` is one refused token at every door, whichever check refused it."""
    from jwks_auth.reasons import Reason
    from jwks_auth.signals import token_rejected

    seen: list[tuple[Reason, str | None]] = []

    def receiver(sender: Any, reason: Reason, issuer: str | None, **kwargs: Any) -> None:
        seen.append((reason, issuer))

    token_rejected.connect(receiver)
    try:
        response = _ask(via, path, _bearer(make_token(acr=42, auth_time=int(time.time()) - 5)))
    finally:
        token_rejected.disconnect(receiver)
    assert response.status_code == 401
    assert seen == [(Reason.CLAIM_TYPE, jwks_config()["ISSUER"])]
