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

The name lookup and the connect attempt happen before a socket exists. The
connect timeout bounds the connect; ``getaddrinfo`` takes no timeout at all
(a resolver that does not answer costs its ``timeout × attempts`` per server,
tens of seconds), so the lookup runs in a daemon thread that the exchange
waits for no longer than the connect timeout or the deadline, whichever is
sooner, and the connection is then made to the addresses it found. A lookup
given up on finishes in the background; at most ``MAX_PENDING_LOOKUPS`` do,
and beyond them a fetch fails at once rather than add threads.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import allowed_gai_family

#: Name lookups given up on that may still be running, across every fetch of the process.
MAX_PENDING_LOOKUPS = 8
_pending_lookups = threading.BoundedSemaphore(MAX_PENDING_LOOKUPS)


def _forget_pending_lookups() -> None:
    # A forked worker has none of its parent's lookup threads: their slots would never come back.
    global _pending_lookups
    _pending_lookups = threading.BoundedSemaphore(MAX_PENDING_LOOKUPS)


os.register_at_fork(after_in_child=_forget_pending_lookups)

Address = tuple[Any, ...]  # a getaddrinfo sockaddr: (host, port) or (host, port, flowinfo, scope_id)


class LookupTimeout(ConnectTimeoutError):
    """The host's name lookup did not answer in time."""


class LookupFailed(NewConnectionError):
    """The host's name does not resolve."""


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


def lookup(host: str, port: int, wait: float) -> list[Address]:
    """``getaddrinfo`` for a stream socket, given up on after ``wait`` seconds.

    Raises ``socket.gaierror`` when the name does not resolve and
    ``TimeoutError`` when no answer came in time or too many lookups are
    still pending.
    """
    if not _pending_lookups.acquire(blocking=False):
        raise TimeoutError("too many name lookups still pending")
    slot = _pending_lookups  # released to the semaphore it was taken from, whatever happens to the global
    answer: list[list[Address] | OSError] = []
    done = threading.Event()

    def resolve() -> None:
        try:
            found = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
            answer.append([info[4] for info in found])
        except OSError as exc:  # socket.gaierror included
            answer.append(exc)
        finally:
            done.set()
            slot.release()

    try:
        threading.Thread(target=resolve, name="jwks-auth-lookup", daemon=True).start()
    except RuntimeError as exc:  # the process cannot start another thread
        slot.release()
        raise TimeoutError("no thread for the name lookup") from exc
    if not done.wait(max(0.0, wait)):
        raise TimeoutError(f"name lookup of {host} timed out")
    result = answer[0]
    if isinstance(result, OSError):
        raise result
    return result


def _connect(conn: HTTPConnection, connect: Callable[[], socket.socket], watchdog: Watchdog) -> socket.socket:
    """urllib3's connect, to each address a bounded lookup found in turn; the socket is watched."""
    host, timeout = conn._dns_host, conn.timeout
    connect_timeout = float(timeout) if isinstance(timeout, (int, float)) else float("inf")
    if _is_ip_literal(host):
        addresses = [host]
    else:
        try:
            found = lookup(host, conn.port or 0, min(connect_timeout, watchdog.deadline - time.monotonic()))
        except TimeoutError as exc:
            raise LookupTimeout(conn, f"Name lookup of {conn.host} timed out") from exc
        except OSError as exc:
            raise LookupFailed(conn, f"Name lookup of {conn.host} failed: {exc}") from exc
        addresses = [address[0] for address in found]
    failure: Exception = NewConnectionError(conn, f"No address for {conn.host}")
    for address in dict.fromkeys(addresses):  # each once, in the resolver's order
        left = watchdog.deadline - time.monotonic()
        if left <= 0:
            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out")
        # Only the connect uses _dns_host: Host, SNI and the certificate check use conn.host.
        conn._dns_host, conn.timeout = address, min(connect_timeout, left)
        try:
            sock = connect()
        except (NewConnectionError, ConnectTimeoutError) as exc:
            failure = exc
            continue
        finally:
            conn._dns_host, conn.timeout = host, timeout
        watchdog.watch(sock)
        return sock
    raise failure


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def watched_session(watchdog: Watchdog) -> requests.Session:
    """A session whose every connection is registered with ``watchdog``."""

    class Connection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _connect(self, super()._new_conn, watchdog)

    class TLSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _connect(self, super()._new_conn, watchdog)

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
