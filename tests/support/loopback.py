"""The base of every test HTTP server: a threaded ``http.server`` on 127.0.0.1, restartable on its port.

``LoopbackServer`` runs ``handler`` in a daemon thread; the handler reaches the
server object through ``self.server.owner``. ``stop()`` then ``start()``
brings it back on the same port, which is how the tests simulate an outage.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on (just now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class LoopbackHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in separate writes: avoid the delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def send_body(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: Any


class LoopbackServer:
    """Serves ``handler`` on ``port`` (0: a free one, kept across restarts)."""

    handler: type[LoopbackHandler] = LoopbackHandler
    poll_interval = 0.005  # a fast shutdown: the suites start and stop thousands of these

    def __init__(self, port: int = 0, host: str = LOOPBACK) -> None:
        self.port = port
        #: The address listened on: loopback, or a test network namespace's (tests/support/netns.py).
        self.host = host
        self._server: _Server | None = None
        self.start()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        server = _Server((self.host, self.port), self.handler)
        server.owner = self
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": self.poll_interval}, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
