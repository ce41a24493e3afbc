"""Thread hops on the async path: none of ours for a token already verified.

A hop is a call handed to a thread (``loop.run_in_executor``: ``offloop``'s
pool, asgiref's ``sync_to_async`` and anything else of the loop). Django's own
ASGI handler makes hops of its own (its ``request_started`` and
``request_finished`` receivers are synchronous), so each async door is
compared with an async endpoint of the same framework without authentication:
a cached token adds none. A DPoP request makes exactly one, for the replay
store (the shared cache, which may be Redis).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import AsyncClient, AsyncRequestFactory

from jwks_auth.validation.validator import get_validator
from jwks_auth.web.request_verifier import RequestVerifier
from tests.asgi_app.conftest import run
from tests.support import dpop
from tests.support.keys import SigningKey

pytestmark = pytest.mark.django_db(databases=[])

#: Each async door (adrf aside: it runs DRF's synchronous authentication in a thread, by design) and the
#: unauthenticated async endpoint of the same framework.
AGAINST_OPEN = {
    "/ninja/ame": "/ninja/open",
    "/plain/async": "/plain/open",
    "/plain/class-async": "/plain/open",
}


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every callable handed to a thread by any event loop while the test runs."""
    handed: list[Any] = []
    real = asyncio.BaseEventLoop.run_in_executor

    def counting(loop: asyncio.AbstractEventLoop, executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        handed.append(func)
        return real(loop, executor, func, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio.BaseEventLoop, "run_in_executor", counting)
    yield handed


def _hops_of(hops: list[Any], path: str, headers: dict[str, str]) -> int:
    before = len(hops)

    async def ask() -> int:
        response = await AsyncClient().get(path, headers=headers)
        return response.status_code

    assert run(ask()) == 200, path
    return len(hops) - before


@pytest.mark.parametrize("door", sorted(AGAINST_OPEN))
def test_a_cached_token_adds_no_hop_to_the_frameworks_own(
    door: str, jwks_config: Any, make_token: Callable[..., str], hops: list[Any]
) -> None:
    token = make_token()
    get_validator().validate(token)  # keys in memory and the token verified: the cached path
    headers = {"Authorization": f"Bearer {token}"}
    _hops_of(hops, door, headers)  # first request of the framework: its own lazy set-up
    _hops_of(hops, AGAINST_OPEN[door], {})
    own = _hops_of(hops, AGAINST_OPEN[door], {})
    assert _hops_of(hops, door, headers) == own
    # The check cannot pass for want of hops to count: the framework itself makes some.
    assert own > 0


def test_the_door_itself_makes_no_hop_for_a_cached_bearer_token(
    jwks_config: Any, make_token: Callable[..., str], hops: list[Any]
) -> None:
    token = make_token()
    get_validator().validate(token)
    door = RequestVerifier()
    request = AsyncRequestFactory().get("/me", headers={"Authorization": f"Bearer {token}"})

    async def authenticate() -> Any:
        return await door.aauthenticate(request)

    for _ in range(3):
        user, access_token = run(authenticate())
        assert access_token["sub"] == "88421113"
    assert hops == []


def test_a_dpop_request_makes_one_hop_for_the_replay_store(
    jwks_config: Any, make_token: Callable[..., str], hops: list[Any], settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    jwks_config(DPOP="allowed")
    client = SigningKey.ec(kid="hop-client")
    token = make_token(cnf={"jkt": dpop.thumbprint(client)})
    get_validator().validate(token)
    door = RequestVerifier()

    async def authenticate() -> Any:
        proof = dpop.make_proof(client, "GET", "http://testserver/me", token=token)
        request = AsyncRequestFactory().get("/me", headers={"Authorization": f"DPoP {token}", "DPoP": proof})
        return await door.aauthenticate(request)

    for number in range(1, 4):
        _user, access_token = run(authenticate())
        assert access_token.binding is not None and access_token.binding.jkt == dpop.thumbprint(client)
        assert len(hops) == number
