"""API hosts that receive Shared Signals over one Redis: what the SSF fleet test and bench/ssf_propagation.py run.

Each host is a gunicorn server of the sample API with its own workers; all share one redis-server, trust the
provider's tokens and the tests' own transmitter (``ssf_transmitter``). Everything is stopped on exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.processes import Gunicorn, RedisServer, api_env
from tests.support.ssf_transmitter import SSFTransmitter


@dataclass(frozen=True)
class ReceivingFleet:
    hosts: list[Gunicorn]
    provider: JWKSProvider
    signing: SigningKey
    transmitter: SSFTransmitter


@contextmanager
def receiving_fleet(directory: Path, hosts: int, workers: int) -> Iterator[ReceivingFleet]:
    """``hosts`` API servers of ``workers`` workers each, receiving the transmitter's SETs, over one Redis."""
    signing = SigningKey.rsa(kid="issuer")
    provider = JWKSProvider()
    provider.set_keys(signing)
    transmitter = SSFTransmitter(SigningKey.ec(kid="ssf"))
    overrides = {
        "RESOURCE_METADATA": {"SCOPES": ["api1"]},
        "SHARED_SIGNALS": {"TRANSMITTERS": [{"ISSUER": transmitter.issuer, "TOKEN_ISSUERS": [provider.issuer]}]},
    }
    try:
        with RedisServer(directory) as redis, ExitStack() as servers:
            env = api_env(provider.issuer, directory, redis.url, overrides)
            started = [
                servers.enter_context(Gunicorn(env, directory, workers=workers, name=f"host-{chr(ord('a') + n)}"))
                for n in range(hosts)
            ]
            yield ReceivingFleet(started, provider, signing, transmitter)
    finally:
        provider.stop()
        transmitter.stop()
