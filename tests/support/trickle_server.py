"""A loopback HTTP(S) server that trickles its answer, a byte at a time.

It never pauses long enough for a read timeout, but takes ``len(answer) *
pause`` seconds in all: what a slow or malicious provider does to a client that
only has per-read timeouts. The head (status line and headers) and the body
can each be trickled. With ``tls=True`` it serves a certificate for 127.0.0.1 from a
``tests.support.tls.PrivateCA`` whose PEM file (``ca_path``) is the CA bundle to trust.
"""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
import time
from pathlib import Path

from tests.support.tls import PrivateCA


class TrickleServer:
    """Answers every connection with ``head`` + ``body``, trickled as asked; counts connections."""

    def __init__(
        self,
        head: bytes,
        body: bytes,
        *,
        pause: float,
        trickle_head: bool = True,
        trickle_body: bool = True,
        tls: bool = False,
    ) -> None:
        self.head, self.body, self.pause = head, body, pause
        self.trickle_head, self.trickle_body = trickle_head, trickle_body
        self.connections = 0
        self.stopped = threading.Event()
        self._tmp = tempfile.TemporaryDirectory()
        self.context: ssl.SSLContext | None = None
        self.ca_path: Path | None = None
        if tls:
            ca = PrivateCA(Path(self._tmp.name))
            cert_path, key_path = ca.issue("127.0.0.1")
            self.ca_path = ca.ca_path
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(cert_path, key_path)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.sock.getsockname()[1]}/jwks"
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def total_seconds(self) -> float:
        """How long a full answer takes to arrive."""
        trickled = len(self.head) * self.trickle_head + len(self.body) * self.trickle_body
        return trickled * self.pause

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        try:
            if self.context is not None:
                conn.settimeout(5)
                conn = self.context.wrap_socket(conn, server_side=True)
            with conn:
                conn.recv(65536)
                self._send(conn, self.head, self.trickle_head)
                self._send(conn, self.body, self.trickle_body)
        except OSError:
            pass  # the client hung up: what the tests want

    def _send(self, conn: socket.socket, data: bytes, trickle: bool) -> None:
        if not trickle:
            conn.sendall(data)
            return
        for index in range(len(data)):
            if self.stopped.is_set():
                return
            conn.sendall(data[index : index + 1])
            time.sleep(self.pause)

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        self._tmp.cleanup()
