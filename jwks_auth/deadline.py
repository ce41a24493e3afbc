"""A hard wall-clock deadline for one HTTP exchange: a watchdog that shuts its sockets.

requests' timeouts are per socket operation: a provider that sends one byte
every half second never trips a 4 s read timeout, and the status line and
headers are read inside ``session.request`` where no caller code runs between
reads. Setting the socket timeout to the time left before every ``recv`` is
not possible from outside: http.client reads through a buffered file object,
and a TLS socket (``ssl.SSLSocket``) reads in C without going through any
``recv`` we could wrap.

So a timer does it from the outside. Every socket the exchange opens is
registered here the moment urllib3 creates it (``_new_conn``, before the TLS
handshake and before any byte is sent); when the deadline passes, the timer
calls ``shutdown(SHUT_RDWR)`` on it. On Linux and the BSDs that wakes any
thread blocked in ``recv``/``poll`` on the socket (it reads end-of-file) and
sends the FIN, whatever layer (TLS, http.client, urllib3) sits on top, so the
read in progress fails at once and no later read can succeed.

The watchdog keeps its own duplicate of each socket's descriptor (``dup``):
shutting down acts on the connection, not the descriptor, and because the
duplicate stays open until the exchange ends, the number can never be
recycled for another connection that the timer would then cut by mistake.
What the watchdog cannot bound is the name lookup (``getaddrinfo``) and a
connect attempt, which happen before a socket exists; the connect timeout
bounds the latter.
"""
from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Watchdog:
    """Shuts every registered socket when ``deadline`` (a ``time.monotonic()`` value) passes."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._timer.cancel()
        with self._lock:
            sockets, self._sockets = self._sockets, []
            self.expired = self.expired or time.monotonic() >= self.deadline
        for sock in sockets:
            sock.close()

    def watch(self, sock: socket.socket) -> None:
        """Register a freshly connected socket; one that comes too late is shut at once."""
        duplicate = sock.dup()
        with self._lock:
            if not self.expired:
                self._sockets.append(duplicate)
                return
        _shut(duplicate)
        duplicate.close()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer or by the exchange itself


def watched_session(watchdog: Watchdog) -> requests.Session:
    """A session whose every connection is registered with ``watchdog``."""

    class Connection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            watchdog.watch(sock)
            return sock

    class TLSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            watchdog.watch(sock)
            return sock

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = TLSConnection

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            if not proxy.lower().startswith("socks"):  # SOCKS pools are their own: bounded by the checks only
                manager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}
            return manager

    session = requests.Session()
    adapter = Adapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
