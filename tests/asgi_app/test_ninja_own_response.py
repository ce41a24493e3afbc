"""Ninja operations that return their own ``HttpResponse`` (tests/asgi_app/own_response.py).

Ninja sends such a response as is: the auth and the refusals are jwks_auth's
as for any operation, but the accepted request's ``DPoP-Nonce`` is on the
response only when the operation copies ``request.jwks_auth_headers``, as the
docs show. WSGI and ASGI test clients, a fresh proof per URL (``htu``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import AsyncClient, Client

from tests.asgi_app.conftest import run
from tests.asgi_app.own_response import BODY
from tests.support import dpop
from tests.support.challenges import parse_challenges
from tests.support.keys import SigningKey

pytestmark = pytest.mark.django_db(databases=[])

OWN = ["/ninja-own/own", "/ninja-own/copied", "/ninja-own/acopied"]
COPIED = ["/ninja-own/copied", "/ninja-own/acopied"]


@pytest.fixture(scope="module")
def ec() -> SigningKey:
    return SigningKey.ec(kid="own-response-client")


def _ask(via: str, path: str, authorization: str | None, proof: str | None = None) -> Any:
    headers = {"Authorization": authorization} if authorization else {}
    if proof:
        headers["DPoP"] = proof
    if via == "wsgi":
        return Client().get(path, headers=headers)
    return run(AsyncClient().get(path, headers=headers))


def _challenges(response: Any) -> dict[str, dict[str, str]]:
    return dict(parse_challenges(response.headers["WWW-Authenticate"]))


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
@pytest.mark.parametrize("path", OWN)
def test_a_valid_token_gets_the_operations_own_response(via: str, path: str, tokens: dict[str, str | None]) -> None:
    response = _ask(via, path, tokens["valid"])
    assert response.status_code == 200
    assert response.content.decode() == f"{BODY} for 88421113" and response["Content-Type"] == "text/plain"
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
@pytest.mark.parametrize("path", OWN)
@pytest.mark.parametrize("kind", ["expired", "wrong_signature"])
def test_a_bad_token_is_refused_with_the_challenge(
    via: str, path: str, kind: str, tokens: dict[str, str | None]
) -> None:
    """The operation never runs: handle_refusals answers 401 with the Bearer challenge, as for a dict."""
    response = _ask(via, path, tokens[kind])
    assert response.status_code == 401 and BODY not in response.content.decode()
    assert _challenges(response)["Bearer"]["error"] == "invalid_token"


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
@pytest.mark.parametrize("path", OWN)
def test_no_token_gets_the_plain_challenge(via: str, path: str, jwks_config: Any) -> None:
    response = _ask(via, path, None)
    assert response.status_code == 401 and "error" not in _challenges(response)["Bearer"]


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
@pytest.mark.parametrize("path", COPIED)
def test_copying_jwks_auth_headers_sends_the_nonce(
    via: str, path: str, jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    """DPOP_NONCE on: the copied DPoP-Nonce of the 200 serves the next proof (RFC 9449 8.2)."""
    jwks_config(DPOP="allowed", DPOP_NONCE=True)
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    url = f"http://testserver{path}"
    refused = _ask(via, path, f"DPoP {token}", dpop.make_proof(ec, "GET", url, token=token))
    assert refused.status_code == 401 and _challenges(refused)["DPoP"]["error"] == "use_dpop_nonce"
    proof = dpop.make_proof(ec, "GET", url, token=token, nonce=refused.headers["DPoP-Nonce"])
    accepted = _ask(via, path, f"DPoP {token}", proof)
    assert accepted.status_code == 200 and accepted.content.decode() == f"{BODY} for 88421113"
    assert accepted.headers.get("DPoP-Nonce")
    proof = dpop.make_proof(ec, "GET", url, token=token, nonce=accepted.headers["DPoP-Nonce"])
    assert _ask(via, path, f"DPoP {token}", proof).status_code == 200


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
def test_without_the_copy_the_nonce_is_missing(
    via: str, jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    """Why the docs ask for the copy: Ninja sends an operation's own response as is."""
    jwks_config(DPOP_NONCE=True)
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    url = "http://testserver/ninja-own/own"
    nonce = _ask(via, "/ninja-own/own", f"DPoP {token}", dpop.make_proof(ec, "GET", url, token=token)).headers[
        "DPoP-Nonce"
    ]
    accepted = _ask(via, "/ninja-own/own", f"DPoP {token}", dpop.make_proof(ec, "GET", url, token=token, nonce=nonce))
    assert accepted.status_code == 200 and "DPoP-Nonce" not in accepted.headers
    copied = _ask(via, "/ninja-own/copied", f"Bearer {make_token()}")  # the same issuer, through the copy
    assert copied.status_code == 200 and copied.headers.get("DPoP-Nonce")
