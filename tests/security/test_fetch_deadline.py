"""A provider that trickles its answer cannot hold a request past the fetch deadline (issue 11, item 8).

Each byte comes well within the read timeout, so only the wall-clock deadline
(connect + read timeout, kept by jwks_auth.keys.deadline's watchdog) can stop the
fetch. The answers take 30 s in full; the deadline is about 1 s, and the
assertions leave a wide margin (10 s) so that a loaded machine cannot fail them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from jwks_auth.exceptions import FetchError
from jwks_auth.keys.deadline import Watchdog, watched_session
from jwks_auth.keys.http import fetch_json
from tests.support.trickle_server import TrickleServer

pytestmark = pytest.mark.django_db(databases=[])

TIMEOUTS = [0.5, 0.6]  # connect, read: the deadline is 1.1 s; every byte comes 0.25 s after the last
PAUSE = 0.25
MARGIN = 10.0  # far above the deadline, far below the 30 s a full answer takes

_PADDING = "x" * 40
HEAD = (
    f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age=600\r\n"
    f"X-Padding: {_PADDING}\r\nConnection: close\r\n\r\n"
).encode()


def _body(keys: list[dict[str, Any]]) -> bytes:
    return json.dumps({"keys": keys, "padding": "y" * max(0, 120 - len(json.dumps(keys)))}).encode()


@pytest.fixture
def trickler() -> Iterator[Callable[..., TrickleServer]]:
    servers: list[TrickleServer] = []

    def make(head: bytes = HEAD, body: bytes | None = None, **kwargs: Any) -> TrickleServer:
        servers.append(TrickleServer(head, _body([]) if body is None else body, pause=PAUSE, **kwargs))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def _timed_failure(url: str) -> tuple[FetchError, float]:
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_json(url)
    return caught.value, time.monotonic() - started


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_trickled_status_line_and_headers_hit_the_deadline(trickler, jwks_config, tls):
    server = trickler(trickle_body=False, tls=tls)
    jwks_config(HTTP_TIMEOUT=TIMEOUTS, HTTP_VERIFY=str(server.ca_path) if tls else True)
    assert server.total_seconds >= 30
    error, elapsed = _timed_failure(server.url)
    assert "too slow" in str(error)
    assert elapsed < MARGIN


@pytest.mark.parametrize("declared", [False, True], ids=["until-close", "content-length"])
def test_a_trickled_body_hits_the_deadline(trickler, jwks_config, declared):
    body = _body([])
    head = HEAD.replace(b"\r\n\r\n", f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()) if declared else HEAD
    server = trickler(head=head, body=body, trickle_head=False)
    jwks_config(HTTP_TIMEOUT=TIMEOUTS)
    assert server.total_seconds >= 30
    error, elapsed = _timed_failure(server.url)
    assert "too slow" in str(error)
    assert elapsed < MARGIN


def test_a_fast_answer_is_untouched_by_the_watchdog_control(trickler, jwks_config):
    server = trickler(trickle_head=False, trickle_body=False)
    jwks_config(HTTP_TIMEOUT=TIMEOUTS)
    assert fetch_json(server.url).document["keys"] == []


def test_the_watchdog_shuts_a_socket_registered_after_the_deadline(trickler):
    """Registration and expiry race: a socket that comes too late is shut at once, not left open."""
    server = trickler(trickle_head=False, trickle_body=False)
    with Watchdog(time.monotonic() - 1) as watchdog:
        time.sleep(0.05)  # let the timer fire
        assert watchdog.expired
        with pytest.raises(requests.ConnectionError):
            watched_session(watchdog).get(server.url, timeout=(1, 1))


def test_a_cold_request_against_a_trickling_provider_is_503_within_the_deadline(
    judge, jwks_config, trickler, make_token
):
    """The request cycle: /me with no key cached answers 503 long before the provider would have finished."""
    server = trickler(trickle_body=False)
    jwks_config(JWKS_URI=server.url, HTTP_TIMEOUT=TIMEOUTS)
    started = time.monotonic()
    judge.token("503", make_token(), then_valid=False)
    assert time.monotonic() - started < MARGIN
    assert server.connections == 1
