"""RFC 9396 through every front door, over the WSGI and the ASGI test clients.

A token whose ``authorization_details`` covers what the endpoint needs gets
200; one that does not, 403 ``insufficient_scope`` with a fixed description;
one whose ``authorization_details`` is malformed, 401 ``invalid_token``
without the value echoed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import AsyncClient, Client

from tests.asgi_app.conftest import run
from tests.support import dpop
from tests.support.challenges import challenge_params, parse_challenges
from tests.support.keys import SigningKey
from tests.support.rar_views import ACCOUNT_DOORS, DOORS

pytestmark = pytest.mark.django_db(databases=[])

VIAS = ["wsgi", "asgi"]
PAYMENT = {"type": "payment_initiation", "actions": ["initiate", "status"], "datatypes": ["amount", "creditor"]}
DESCRIPTION = "The access token's authorization details do not cover this request."


def _ask(via: str, method: str, path: str, headers: dict[str, str]) -> Any:
    if via == "wsgi":
        return getattr(Client(), method)(path, headers=headers)
    return run(getattr(AsyncClient(), method)(path, headers=headers))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


COVERED = {
    "exactly": [PAYMENT],
    "among others": [{"type": "account_information", "actions": ["read"]}, {**PAYMENT, "instructedAmount": {}}],
    "for this API by RESOURCE": [{**PAYMENT, "locations": ["https://other.example", "http://testserver"]}],
    "for this API by audience": [{**PAYMENT, "locations": ["api1"]}],
}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
@pytest.mark.parametrize("case", list(COVERED))
def test_a_covered_request_is_admitted(
    via: str, path: str, case: str, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    response = _ask(via, "post", path, _bearer(make_token(authorization_details=COVERED[case])))
    assert response.status_code == 200, (path, response.content)
    assert "payment_initiation" in response.json()["types"]


UNCOVERED = {
    "no claim": None,
    "empty": [],
    "another type": [{"type": "account_information", "actions": ["initiate"], "datatypes": ["amount"]}],
    "a missing action": [{"type": "payment_initiation", "actions": ["status"], "datatypes": ["amount"]}],
    "no actions at all": [{"type": "payment_initiation", "datatypes": ["amount"]}],
    "a missing datatype": [{"type": "payment_initiation", "actions": ["initiate"], "datatypes": ["creditor"]}],
    "for another API": [{**PAYMENT, "locations": ["https://other.example"]}],
    "split over two details": [
        {"type": "payment_initiation", "actions": ["initiate"]},
        {"type": "payment_initiation", "datatypes": ["amount"]},
    ],
}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
@pytest.mark.parametrize("case", list(UNCOVERED))
def test_an_uncovered_request_is_403(
    via: str, path: str, case: str, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    response = _ask(via, "post", path, _bearer(make_token(authorization_details=UNCOVERED[case])))
    assert response.status_code == 403, (path, response.content)
    params = challenge_params(response.headers["WWW-Authenticate"])
    assert params["error"] == "insufficient_scope"
    assert params["error_description"] == DESCRIPTION
    assert "scope" not in params
    assert response.json() == {"detail": DESCRIPTION}


MALFORMED = {
    "an object": {"type": "payment_initiation"},
    "a string": "payment_initiation",
    "null": None,  # sent as JSON null below
    "an entry not an object": ["payment_initiation"],
    "no type": [{"actions": ["initiate"]}],
    "a type not a string": [{"type": 7}],
    "an empty type": [{"type": ""}],
    "actions not an array": [{**PAYMENT, "actions": "initiate"}],
    "actions not strings": [{**PAYMENT, "actions": ["initiate", 1]}],
    "locations not strings": [{**PAYMENT, "locations": [{"uri": "x"}]}],
    "identifier not a string": [{**PAYMENT, "identifier": 42}],
    "privileges not an array": [{**PAYMENT, "privileges": {"admin": True}}],
}


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_details_are_invalid_token_without_echo(
    via: str, path: str, case: str, jwks_config: Any, signing_key: SigningKey
) -> None:
    import json

    from tests.support.tokens import access_claims, mint

    claims = access_claims(jwks_config()["ISSUER"])
    claims["authorization_details"] = MALFORMED[case]
    token = mint(signing_key, json.dumps(claims))  # verbatim: JSON null stays null
    response = _ask(via, "post", path, _bearer(token))
    assert response.status_code == 401, (path, response.content)
    params = challenge_params(response.headers["WWW-Authenticate"])
    assert (params["error"], params["error_description"]) == ("invalid_token", "invalid authorization_details")
    assert b"payment_initiation" not in response.content


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("prefix", ACCOUNT_DOORS)
def test_the_requirement_can_come_from_the_url(
    via: str, prefix: str, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    token = make_token(
        authorization_details=[{"type": "account_information", "actions": ["read", "list"], "identifier": "DE-1"}]
    )
    assert _ask(via, "get", f"{prefix}/DE-1", _bearer(token)).status_code == 200
    other = _ask(via, "get", f"{prefix}/DE-2", _bearer(token))
    assert other.status_code == 403
    assert challenge_params(other.headers["WWW-Authenticate"])["error"] == "insufficient_scope"


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
def test_a_dpop_request_gets_the_403_on_the_dpop_scheme(
    via: str, path: str, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    key = SigningKey.ec(kid="rar-client")
    token = make_token(authorization_details=[], cnf={"jkt": dpop.thumbprint(key)})
    proof = dpop.make_proof(key, "POST", f"http://testserver{path}", token=token)
    response = _ask(via, "post", path, {"Authorization": f"DPoP {token}", "DPoP": proof})
    assert response.status_code == 403
    with_error = [s for s, p in parse_challenges(response.headers["WWW-Authenticate"]) if "error" in p]
    assert with_error == ["DPoP"]


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", [p for p, door in DOORS.items() if door not in ("drf", "adrf")])
def test_behind_the_middleware_the_door_still_checks_the_details(
    via: str, path: str, settings: Any, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    settings.MIDDLEWARE = ["jwks_auth.middleware.TokenMiddleware"]
    assert _ask(via, "post", path, _bearer(make_token(authorization_details=[]))).status_code == 403
    assert _ask(via, "post", path, _bearer(make_token(authorization_details=[PAYMENT]))).status_code == 200


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("path", list(DOORS))
def test_malformed_details_are_signalled_as_a_rejected_token(
    via: str, path: str, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    from jwks_auth.signals import token_rejected

    seen: list[Any] = []

    def receiver(sender: Any, reason: Any, issuer: str | None, **kwargs: Any) -> None:
        seen.append(issuer)

    token_rejected.connect(receiver)
    try:
        response = _ask(via, "post", path, _bearer(make_token(authorization_details="payment_initiation")))
    finally:
        token_rejected.disconnect(receiver)
    assert response.status_code == 401
    assert seen == [jwks_config()["ISSUER"]]
