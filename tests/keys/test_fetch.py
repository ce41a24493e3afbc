"""Strict fetching: timeouts, User-Agent, no redirects, size cap, JSON objects, https, CA bundle, proxies."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jwks_auth.exceptions import FetchError
from jwks_auth.keys.http import check_url, fetch_json, http_timeouts, parse_max_age
from tests.conftest import bearer
from tests.support.jwks_server import JWKS_PATH
from tests.support.threads import refuse_threads
from tests.support.tls import PrivateCA, TLSJWKSServer

pytestmark = pytest.mark.django_db(databases=[])


class RawServer:
    """One-shot HTTP responses written byte by byte, for what http.server will not send."""

    def __init__(self, head: bytes, body: bytes, piece: int = 1 << 20, pause: float = 0.0) -> None:
        self.head, self.body, self.piece, self.pause = head, body, piece, pause
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/jwks"
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(self.head)
                    for start in range(0, len(self.body), self.piece):
                        if self.stopped.is_set():
                            return
                        conn.sendall(self.body[start : start + self.piece])
                        time.sleep(self.pause)
                except OSError:
                    pass

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def raw_server() -> Iterator[Any]:
    servers: list[RawServer] = []

    def make(*args: Any, **kwargs: Any) -> RawServer:
        servers.append(RawServer(*args, **kwargs))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_user_agent_and_accept_are_sent(provider, jwks_config):
    jwks_config(USER_AGENT="my-api/2.0")
    fetch_json(provider.jwks_uri)
    path, headers = provider.requests[-1]
    assert path == JWKS_PATH
    assert headers["User-Agent"] == "my-api/2.0"
    assert "application/json" in headers["Accept"]


def test_a_slow_provider_hits_the_read_timeout(provider, jwks_config):
    jwks_config(HTTP_TIMEOUT=[0.5, 0.3])
    provider.delay = 1.0
    with pytest.raises(FetchError, match="failed"):
        fetch_json(provider.jwks_uri)
    assert provider.jwks_hits == 1


def test_a_dripping_response_hits_the_overall_deadline(raw_server, jwks_config):
    jwks_config(HTTP_TIMEOUT=[0.4, 0.4])
    body = json.dumps({"keys": [], "padding": "x" * 60}).encode()
    server = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n", body, piece=1, pause=0.05
    )  # each byte within the read timeout, the whole far beyond
    with pytest.raises(FetchError, match="too slow"):
        fetch_json(server.url)


def test_redirects_are_not_followed(provider):
    provider.routes["/moved"] = (302, b"", {"Location": provider.jwks_uri})
    with pytest.raises(FetchError, match="HTTP 302"):
        fetch_json(provider.base_url + "/moved")
    assert provider.jwks_hits == 0


def test_a_declared_size_over_the_cap_is_refused(provider, jwks_config, signing_key, other_key):
    jwks_config(MAX_RESPONSE_BYTES=1000)
    provider.set_keys(signing_key, other_key)
    with pytest.raises(FetchError, match="larger than 1000 bytes"):
        fetch_json(provider.jwks_uri)


def test_an_undeclared_size_over_the_cap_is_refused_while_reading(raw_server, jwks_config):
    jwks_config(MAX_RESPONSE_BYTES=1000)
    body = json.dumps({"keys": [], "padding": "x" * 5000}).encode()
    server = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n", body, piece=300
    )
    with pytest.raises(FetchError, match="larger than 1000 bytes"):
        fetch_json(server.url)


def test_a_lying_content_length_is_still_capped(raw_server, jwks_config):
    jwks_config(MAX_RESPONSE_BYTES=1000)
    body = json.dumps({"keys": [], "padding": "x" * 5000}).encode()
    server = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n", body)
    with pytest.raises(FetchError):
        fetch_json(server.url)


@pytest.mark.parametrize(
    "body", [b"[]", b'"keys"', b"null", b"42", b"not json", b"\xff\xfe{}", b"{" * 3, b"[" * 300000, b'{"a": NaN']
)
def test_only_a_json_object_is_accepted(provider, body):
    provider.set_jwks(body)
    with pytest.raises(FetchError):
        fetch_json(provider.jwks_uri)


def test_a_json_object_is_returned_with_its_max_age(provider):
    provider.jwks_headers["Cache-Control"] = "public, max-age=300"
    result = fetch_json(provider.jwks_uri)
    assert result.document == {"keys": provider._jwks_doc["keys"]}
    assert result.max_age == 300


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("public", None),
        ("max-age=60", 60),
        ("public, max-age=3600, must-revalidate", 3600),
        ('max-age="30"', 30),
        ("no-store", 0),
        ("no-cache", 0),
        ("private, no-cache=set-cookie", 0),
        ("max-age=abc", None),
    ],
)
def test_cache_control_max_age(value, expected):
    assert parse_max_age(value) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://idp.example/jwks",
        "http://127.0.0.1:5000/jwks",
        "http://localhost/jwks",
        "http://[::1]:8080/jwks",
        "http://keys.localhost/jwks",
    ],
)
def test_https_or_loopback_urls_are_fetched(url, jwks_config):
    check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://idp.example/jwks",
        "ftp://idp.example/jwks",
        "file:///etc/passwd",
        "https:///jwks",
        "//idp.example/jwks",
        "idp.example/jwks",
        "http://10.0.0.1/jwks",
    ],
)
def test_other_urls_are_refused(url, jwks_config):
    with pytest.raises(FetchError, match="https is required"):
        check_url(url)


def test_plain_http_off_loopback_only_with_the_dev_setting(jwks_config):
    jwks_config(ALLOW_INSECURE_HTTP=True)
    check_url("http://idp.example/jwks")
    with pytest.raises(FetchError):
        check_url("ftp://idp.example/jwks")


def test_an_http_issuer_off_loopback_is_never_contacted(client, make_token, jwks_config, signal_log):
    jwks_config(ISSUER="http://idp.example")
    token = make_token(iss="http://idp.example")
    response = client.get("/me", **bearer(token))
    assert response.status_code == 503
    assert "https is required" in signal_log.of("jwks_fetch_failed")[0]["error"]


@pytest.mark.parametrize("value", [None, "x", [0, 1], [1], [1, 2, 3], True, float("nan"), -1, float("inf")])
def test_a_bad_timeout_setting_never_means_no_timeout(value):
    assert http_timeouts(value if value is not None else "x") == (2.0, 4.0)


# -- CA bundle and proxies pass through ----------------------------------------------------------
@pytest.fixture
def https_provider(tmp_path: Path, signing_key: Any) -> Iterator[tuple[str, Path]]:
    """A JWKS over TLS on 127.0.0.1, with a certificate from a private CA; yields (url, ca bundle path)."""
    ca = PrivateCA(tmp_path, "keystore test CA")
    server = TLSJWKSServer(ca.issue("127.0.0.1"), {"keys": [signing_key.public_jwk()]})
    yield f"https://127.0.0.1:{server.port}/jwks", ca.ca_path
    server.stop()


def test_the_ca_bundle_setting_is_passed_through(https_provider, jwks_config, monkeypatch):
    url, ca_bundle = https_provider
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(FetchError):
        fetch_json(url)  # the system CAs do not know the private CA
    jwks_config(HTTP_VERIFY=str(ca_bundle))
    assert fetch_json(url).document["keys"][0]["kid"] == "rsa-key-1"


def test_the_proxy_setting_is_passed_through(provider, jwks_config):
    # The provider plays a forward proxy: it answers the absolute URL it is asked for.
    target = "http://keys.example.invalid/jwks"
    provider.routes[target] = provider.routes[JWKS_PATH]
    jwks_config(ALLOW_INSECURE_HTTP=True)
    with pytest.raises(FetchError):
        fetch_json(target)  # no such host without the proxy
    jwks_config(ALLOW_INSECURE_HTTP=True, HTTP_PROXIES={"http": provider.base_url})
    assert fetch_json(target).document["keys"][0]["kid"] == "rsa-key-1"
    assert provider.requests[-1][0] == target


# -- a process that cannot start another thread (tests/support/threads.py) -----------------------
@pytest.mark.parametrize("prefix", ["jwks-auth-lookup", ""])
def test_no_thread_to_spare_is_a_failed_fetch_not_a_500(provider, jwks_config, monkeypatch, prefix):
    from jwks_auth.keys import deadline

    refused = refuse_threads(monkeypatch, prefix)
    url = provider.jwks_uri.replace("127.0.0.1", "localhost")  # a name: looked up in a thread of its own
    with pytest.raises(FetchError) as caught:
        fetch_json(url)
    expected = "name lookup timed out" if prefix else "no thread to keep its deadline"
    assert str(caught.value) == f"GET {url} failed: {expected}" and refused
    monkeypatch.undo()
    assert all(deadline._pending_lookups.acquire(blocking=False) for _ in range(deadline.MAX_PENDING_LOOKUPS))
    for _ in range(deadline.MAX_PENDING_LOOKUPS):
        deadline._pending_lookups.release()  # no slot was lost to the thread that never ran
    assert fetch_json(url).document["keys"][0]["kid"] == "rsa-key-1"


def test_an_http_issuer_off_loopback_names_the_setting_that_allows_it(client, make_token, jwks_config, caplog):
    """The 503's log line says which setting to change, not only what is wrong."""
    jwks_config(ISSUER="http://keycloak:8080/realms/demo")
    with caplog.at_level("WARNING", logger="jwks_auth"):
        response = client.get("/me", **bearer(make_token(iss="http://keycloak:8080/realms/demo")))
    assert response.status_code == 503
    failed = [record.getMessage() for record in caplog.records if "failed" in record.getMessage()]
    assert failed and "ALLOW_INSECURE_HTTP" in failed[0] and "https is required" in failed[0]
    with pytest.raises(FetchError) as refused:
        check_url("idp.example/jwks")
    assert "ALLOW_INSECURE_HTTP" not in str(refused.value) and "ISSUER" in str(refused.value)
