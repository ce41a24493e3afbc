"""The front doors under a real ASGI server: uvicorn, two worker processes, one real Redis.

The JWKS comes from a ``JWKSProvider`` in this process, which counts the
fetches. Each test starts its own redis-server and uvicorn, so the workers
start cold.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.asgi_app.conftest import EXPECTED
from tests.asgi_app.doors import ASYNC_DOORS, DOORS, Seen
from tests.asgi_app.uvicorn_server import Uvicorn
from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.processes import RedisServer, api_env

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.timeout(180)]


@pytest.fixture
def serve(tmp_path: Path, provider: JWKSProvider) -> Iterator[Callable[..., Uvicorn]]:
    """Start redis-server and uvicorn (2 workers) for ``provider``; stopped at teardown."""
    started: list[Any] = []

    def start(**overrides: Any) -> Uvicorn:
        redis = RedisServer(tmp_path / "redis").start()
        started.append(redis)
        env = api_env(
            provider.issuer,
            tmp_path / "var",
            redis.url,
            {"RESOURCE_SCOPES": ["api1"], "JWKS_RETRY_INTERVAL": 1, **overrides},
        )
        server = Uvicorn(env, tmp_path / "uvicorn", workers=2)
        started.append(server)
        return server.start()

    yield start
    for process in reversed(started):
        process.stop()


def _get(url: str, authorization: str | None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization else {}
    return requests.get(url, headers=headers, timeout=30)


def _at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    barrier = threading.Barrier(len(calls))

    def one(call: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


@pytest.fixture
def loopback_tokens(make_token: Callable[..., str], other_key: SigningKey, signing_key: SigningKey) -> dict[str, Any]:
    """The kinds of conftest's ``tokens``, for the loopback provider the uvicorn workers fetch from.

    conftest's ``tokens`` come from the kit's in-process issuer, which a server process cannot reach.
    """
    now = int(time.time())
    forged = make_token(key=other_key, header={"alg": "RS256", "kid": signing_key.kid, "typ": "at+jwt"})
    return {
        "valid": f"Bearer {make_token()}",
        "expired": f"Bearer {make_token(iat=now - 900, nbf=now - 900, exp=now - 600)}",
        "wrong_signature": f"Bearer {forged}",
        "missing_scope": f"Bearer {make_token(scope='other')}",
        "none": None,
        "malformed_header": f"Bearer {make_token()} extra",
        "other_scheme": "Basic dXNlcjpwYXNz",
    }


def test_cold_start_one_fetch_then_every_door_answers_as_drf(
    serve: Callable[..., Uvicorn],
    provider: JWKSProvider,
    make_token: Callable[..., str],
    loopback_tokens: dict[str, str | None],
) -> None:
    server = serve()
    provider.delay = 0.5  # every request arrives while the one fetch is under way
    paths = [ASYNC_DOORS[i % len(ASYNC_DOORS)] for i in range(40)]  # adrf, Ninja, decorator, mixin
    calls = [lambda path=path: _get(server.url + path, f"Bearer {make_token()}") for path in paths]
    responses = _at_once(calls)
    statuses = Counter(r.status_code for r in responses)
    pids = {r.json()["pid"] for r in responses if r.status_code == 200}
    print(
        f"cold start: statuses {dict(statuses)}, workers that answered {len(pids)} of {len(server.pids)}, "
        f"JWKS fetches {provider.jwks_hits}, discovery fetches {provider.discovery_hits}"
    )
    assert statuses == {200: 40}
    assert provider.jwks_hits == 1 and provider.discovery_hits == 1
    assert pids == server.pids  # both workers were cold and served during the one fetch

    provider.delay = 0.0
    for kind, authorization in loopback_tokens.items():
        seen = {
            path: Seen.of(r.status_code, r.headers) for path in DOORS for r in [_get(server.url + path, authorization)]
        }
        drf = seen["/me"]
        assert (drf.status, drf.error) == EXPECTED[kind], kind
        assert {path: answer for path, answer in seen.items() if answer != drf} == {}, kind
    assert provider.jwks_hits == 1  # the forged and unknown tokens caused no fetch (same kid)


def test_provider_down_is_503_with_retry_after_on_every_door(
    serve: Callable[..., Uvicorn], provider: JWKSProvider, make_token: Callable[..., str]
) -> None:
    server = serve()
    provider.failure = 503
    authorization = f"Bearer {make_token()}"
    responses = _at_once([lambda path=path: _get(server.url + path, authorization) for path in DOORS for _ in range(3)])
    answers = Counter((r.status_code, bool(r.headers.get("Retry-After"))) for r in responses)
    assert answers == {(503, True): 3 * len(DOORS)}


def test_the_loop_is_not_blocked_while_a_slow_provider_answers(
    serve: Callable[..., Uvicorn], provider: JWKSProvider, make_token: Callable[..., str]
) -> None:
    server = serve()
    provider.delay = 2.0  # discovery, then the JWKS: about 4 s of fetching
    probe = _get(server.url + "/lag", f"Bearer {make_token()}").json()
    print(f"loop-lag probe: {probe}")
    assert probe["status"] == 200
    assert probe["elapsed"] >= 2.0  # the check did wait for the fetch while the ticker ran
    assert probe["max_lag"] < 0.5
