"""A real OpenID provider stand-in on a loopback port: discovery and JWKS.

Tests change its keys, headers, delays and failures while it runs, and read
how many requests each path received. It can be stopped and started again on
the same port to simulate an outage.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from typing import Any

from tests.support.keys import SigningKey
from tests.support.loopback import LOOPBACK, LoopbackHandler, LoopbackServer

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/openid-configuration/jwks"


class _Handler(LoopbackHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        provider: JWKSProvider = self.server.owner
        path = self.path.split("?", 1)[0]
        with provider.lock:
            provider.hits[path] += 1
            provider.hits_by_address[path, self.client_address[0]] += 1
            provider.requests.append((path, dict(self.headers)))
            delay = provider.delay
            failure = provider.failure
            route = provider.routes.get(path)
        if delay:
            time.sleep(delay)
        if failure == "reset":
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if failure is not None and isinstance(failure, int):
            self._send(failure, b'{"error":"unavailable"}', {"Content-Type": "application/json"})
            return
        if route is None:
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        status, body, headers = route() if callable(route) else route
        self._send(status, body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_body(status, body, headers)


class JWKSProvider(LoopbackServer):
    """Serves discovery and a JWKS; `issuer` is its own base URL unless given."""

    def __init__(self, issuer: str | None = None, port: int = 0, host: str = LOOPBACK) -> None:
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        #: Requests by (path, client address): which host fetched, when hosts have addresses of their own.
        self.hits_by_address: Counter[tuple[str, str]] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.delay = 0.0
        self.failure: int | str | None = None
        self.routes: dict[str, Any] = {}
        self.jwks_headers: dict[str, str] = {"Content-Type": "application/json"}
        self._jwks_doc: Any = {"keys": []}
        super().__init__(port, host)
        self.issuer = issuer or self.base_url
        self.routes[DISCOVERY_PATH] = self._discovery
        self.routes[JWKS_PATH] = self._jwks

    handler = _Handler

    @property
    def jwks_uri(self) -> str:
        return self.base_url + JWKS_PATH

    # -- content ------------------------------------------------------------
    def set_keys(self, *keys: SigningKey, **jwk_options: Any) -> None:
        self.set_jwks({"keys": [k.public_jwk(**jwk_options) for k in keys]})

    def set_jwks(self, document: Any) -> None:
        """Any JSON value, or bytes sent verbatim."""
        with self.lock:
            self._jwks_doc = document

    def discovery_document(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_uri,
            "token_endpoint": self.base_url + "/connect/token",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def _discovery(self) -> tuple[int, bytes, dict[str, str]]:
        return 200, json.dumps(self.discovery_document()).encode(), {"Content-Type": "application/json"}

    def _jwks(self) -> tuple[int, bytes, dict[str, str]]:
        doc = self._jwks_doc
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        return 200, body, dict(self.jwks_headers)

    # -- observation --------------------------------------------------------
    @property
    def jwks_hits(self) -> int:
        return self.hits[JWKS_PATH]

    @property
    def discovery_hits(self) -> int:
        return self.hits[DISCOVERY_PATH]

    def reset_counts(self) -> None:
        with self.lock:
            self.hits.clear()
            self.hits_by_address.clear()
            self.requests.clear()
