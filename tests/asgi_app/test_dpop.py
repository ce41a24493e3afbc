"""DPoP through every front door: each gets the proof check, the refusals and their challenges from the core.

WSGI and ASGI test clients; a fresh proof for each door's own URL (``htu``),
as a client would send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import AsyncClient, Client

from tests.asgi_app.conftest import run
from tests.asgi_app.doors import DOORS
from tests.support import dpop
from tests.support.challenges import parse_challenges
from tests.support.keys import SigningKey

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture(scope="module")
def ec() -> SigningKey:
    return SigningKey.ec(kid="door-client")


def _ask(via: str, path: str, headers: dict[str, str]) -> Any:
    if via == "wsgi":
        return Client().get(path, headers=headers)
    return run(AsyncClient().get(path, headers=headers))


def _error_on(response: Any) -> tuple[str, str | None]:
    """(the scheme whose challenge carries an error, that error); the other challenge has none."""
    with_error = [(s, p["error"]) for s, p in parse_challenges(response.headers["WWW-Authenticate"]) if "error" in p]
    assert len(with_error) == 1, response.headers["WWW-Authenticate"]
    return with_error[0]


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
@pytest.mark.parametrize("path", list(DOORS))
def test_every_door_checks_the_proof(
    via: str, path: str, jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    proof = dpop.make_proof(ec, "GET", f"http://testserver{path}", token=token)
    dpop_headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    assert _ask(via, path, dpop_headers).status_code == 200
    replayed = _ask(via, path, dpop_headers)
    assert replayed.status_code == 401 and _error_on(replayed) == ("DPoP", "invalid_dpop_proof")
    as_bearer = _ask(via, path, {"Authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401 and _error_on(as_bearer) == ("Bearer", "invalid_token")
    other_url = dpop.make_proof(ec, "GET", "http://testserver/elsewhere", token=token)
    wrong = _ask(via, path, {"Authorization": f"DPoP {token}", "DPoP": other_url})
    assert wrong.status_code == 401 and _error_on(wrong) == ("DPoP", "invalid_dpop_proof")


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
@pytest.mark.parametrize("path", list(DOORS))
def test_every_door_sends_the_nonce_it_asks_for(
    via: str, path: str, jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    """On the refusal and on the accepted answer (RFC 9449 8.2): the 200's nonce serves the next proof."""
    jwks_config(DPOP_NONCE=True)
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    proof = dpop.make_proof(ec, "GET", f"http://testserver{path}", token=token)
    refused = _ask(via, path, {"Authorization": f"DPoP {token}", "DPoP": proof})
    assert refused.status_code == 401 and _error_on(refused) == ("DPoP", "use_dpop_nonce")
    nonce = refused.headers["DPoP-Nonce"]
    proof = dpop.make_proof(ec, "GET", f"http://testserver{path}", token=token, nonce=nonce)
    accepted = _ask(via, path, {"Authorization": f"DPoP {token}", "DPoP": proof})
    assert accepted.status_code == 200 and accepted.headers.get("DPoP-Nonce")
    proof = dpop.make_proof(ec, "GET", f"http://testserver{path}", token=token, nonce=accepted.headers["DPoP-Nonce"])
    assert _ask(via, path, {"Authorization": f"DPoP {token}", "DPoP": proof}).status_code == 200


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
@pytest.mark.parametrize("path", list(DOORS))
@pytest.mark.parametrize("dpop_policy, nonce", [("allowed", False), ("off", False), ("off", True)])
def test_an_issuer_without_nonces_sends_none(
    via: str, path: str, dpop_policy: str, nonce: bool, jwks_config: Any, make_token: Callable[..., str]
) -> None:
    """No DPOP_NONCE, or DPoP turned off (where a nonce could serve no proof): no DPoP-Nonce."""
    jwks_config(DPOP=dpop_policy, DPOP_NONCE=nonce)
    accepted = _ask(via, path, {"Authorization": f"Bearer {make_token()}"})
    assert accepted.status_code == 200 and "DPoP-Nonce" not in accepted.headers


@pytest.mark.parametrize("via", ["wsgi", "asgi"])
@pytest.mark.parametrize("path", list(DOORS))
def test_a_nonce_issuer_sends_one_on_a_bearer_answer_too(
    via: str, path: str, jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    """ "A fresh nonce on every answer": a bearer client that moves to DPoP has one for its first proof."""
    jwks_config(DPOP_NONCE=True)
    accepted = _ask(via, path, {"Authorization": f"Bearer {make_token()}"})
    assert accepted.status_code == 200
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    proof = dpop.make_proof(ec, "GET", f"http://testserver{path}", token=token, nonce=accepted.headers["DPoP-Nonce"])
    assert _ask(via, path, {"Authorization": f"DPoP {token}", "DPoP": proof}).status_code == 200


def test_a_403_after_a_good_proof_carries_the_nonce(
    jwks_config: Any, make_token: Callable[..., str], ec: SigningKey
) -> None:
    """The proof passed, the scope did not: the client still gets its next nonce, as from DRF."""
    jwks_config(DPOP_NONCE=True)
    token = make_token(cnf={"jkt": dpop.thumbprint(ec)})
    url = "http://testserver/ninja/admin"
    nonce = _ask(
        "wsgi", "/ninja/admin", {"Authorization": f"DPoP {token}", "DPoP": dpop.make_proof(ec, "GET", url, token=token)}
    ).headers["DPoP-Nonce"]
    proof = dpop.make_proof(ec, "GET", url, token=token, nonce=nonce)
    refused = _ask("asgi", "/ninja/admin", {"Authorization": f"DPoP {token}", "DPoP": proof})
    assert refused.status_code == 403 and refused.headers.get("DPoP-Nonce")
    assert dict(parse_challenges(refused.headers["WWW-Authenticate"]))["Bearer"]["error"] == "insufficient_scope"
