"""A proof is accepted once across real worker processes sharing one real Redis.

gunicorn runs ``tests.wsgi:application`` with four sync workers over a
redis-server on a free port; the same proof is sent on many connections at
once (so it reaches several workers), and then again one by one.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support import dpop
from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.processes import LOOPBACK, Gunicorn, RedisServer, api_env
from tests.support.tokens import access_claims, mint

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gunicorn, JWKSProvider, SigningKey]]:
    directory: Path = tmp_path_factory.mktemp("dpop-workers")
    signing = SigningKey.rsa(kid="issuer")
    provider = JWKSProvider()
    provider.set_keys(signing)
    with RedisServer(directory) as redis:
        env = api_env(provider.issuer, directory, redis.url, {"RESOURCE_SCOPES": ["api1"]})
        with Gunicorn(env, directory, workers=4) as api:
            yield api, provider, signing
    provider.stop()


def _get(url: str, token: str, proof: str) -> int:
    response = requests.get(url + "/me", headers={"Authorization": f"DPoP {token}", "DPoP": proof}, timeout=30)
    return response.status_code


def test_one_proof_is_accepted_once_across_workers(stack: tuple[Gunicorn, JWKSProvider, SigningKey]) -> None:
    api, provider, signing = stack
    client = SigningKey.ec(kid="client")
    token = mint(signing, access_claims(provider.issuer, cnf={"jkt": dpop.thumbprint(client)}))
    # Warm every worker (keys fetched) with fresh proofs, so the race below is about the proof alone.
    for _ in range(12):
        assert _get(api.url, token, dpop.make_proof(client, "GET", api.url + "/me", token=token)) == 200
    before = len(api.access())
    proof = dpop.make_proof(client, "GET", api.url + "/me", token=token)
    barrier = threading.Barrier(16)

    def one(_: int) -> int:
        barrier.wait(timeout=30)
        return _get(api.url, token, proof)

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(16)))
    assert statuses.count(200) == 1 and statuses.count(401) == 15, statuses
    workers = api.pids("/me", since=before)
    assert len(workers) >= 2, "the replays did not reach more than one worker"
    assert api.pids("/me", 401, since=before) - api.pids("/me", 200, since=before), (
        "no worker other than the accepting one refused the replay"
    )
    # Sent again later, to every worker: still refused.
    for _ in range(8):
        assert _get(api.url, token, proof) == 401


def test_two_dpop_header_lines_are_a_bad_request(stack: tuple[Gunicorn, JWKSProvider, SigningKey]) -> None:
    api, provider, signing = stack
    client = SigningKey.ec(kid="client2")
    token = mint(signing, access_claims(provider.issuer, cnf={"jkt": dpop.thumbprint(client)}))
    connection = http.client.HTTPConnection(LOOPBACK, api.port, timeout=30)
    try:
        connection.putrequest("GET", "/me")
        connection.putheader("Authorization", f"DPoP {token}")
        connection.putheader("DPoP", dpop.make_proof(client, "GET", api.url + "/me", token=token))
        connection.putheader("DPoP", dpop.make_proof(client, "GET", api.url + "/me", token=token))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 400
        assert 'error="invalid_request"' in (response.getheader("WWW-Authenticate") or "")
    finally:
        connection.close()
