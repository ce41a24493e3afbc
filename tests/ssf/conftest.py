"""A transmitter of the tests' own (tests/support/ssf_transmitter.py) and the API configured to receive from it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.keys import SigningKey
from tests.support.ssf_transmitter import SSFTransmitter


@pytest.fixture(scope="session")
def transmitter_key() -> SigningKey:
    return SigningKey.ec(kid="ssf-es256")


@pytest.fixture
def transmitter(transmitter_key: SigningKey) -> Iterator[SSFTransmitter]:
    server = SSFTransmitter(transmitter_key)
    yield server
    server.stop()


@pytest.fixture
def ssf_config(jwks_config: Any, transmitter: SSFTransmitter, provider: Any) -> Callable[..., dict[str, Any]]:
    """JWKS_AUTH for the test provider with SHARED_SIGNALS receiving from ``transmitter``; keywords go in the group."""

    def apply(entry: dict[str, Any] | None = None, top: dict[str, Any] | None = None, **group: Any) -> dict[str, Any]:
        transmitter_entry = {"ISSUER": transmitter.issuer, "TOKEN_ISSUERS": [provider.issuer], **(entry or {})}
        return jwks_config(SHARED_SIGNALS={"TRANSMITTERS": [transmitter_entry], **group}, **(top or {}))

    apply()
    return apply


def push(client: Any, token: str, **extra: Any) -> Any:
    """The SET posted to the receiver as RFC 8935 says."""
    return client.post("/ssf/events", data=token, content_type="application/secevent+jwt", **extra)
