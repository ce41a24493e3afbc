"""A DNS server on a loopback address, port 53, for tests that need a real resolver to talk to.

It answers A queries for names it was given (after an optional delay),
answers AAAA queries with no record, says NXDOMAIN for other names, and
never answers names it was told to stall on, so ``getaddrinfo`` waits for
the resolver's own timeout. Port 53 needs root; so do the mount namespaces
the tests point ``/etc/resolv.conf`` at it with.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
from types import TracebackType

_A, _AAAA, _IN = 1, 28, 1


class DNSServer:
    def __init__(self) -> None:
        self.records: dict[str, str] = {}  # lower-case name -> IPv4 address
        self.delays: dict[str, float] = {}  # name -> seconds to wait before answering
        self.stalled: set[str] = set()  # names never answered
        self.queries: list[str] = []
        self._sock, self.address = _bind_port_53()
        self._sock.settimeout(0.1)  # so the serving thread sees the stop flag
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DNSServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def resolv_conf(self, timeout: int = 10) -> str:
        """An /etc/resolv.conf that asks this server only, waiting ``timeout`` s for a single attempt."""
        return f"nameserver {self.address}\noptions timeout:{timeout} attempts:1\n"

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                query, client = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            parsed = _question(query)
            if parsed is None:
                continue
            name, qtype, question = parsed
            self.queries.append(name)
            if name in self.stalled:
                continue
            delay = self.delays.get(name, 0.0)
            reply = _reply(query[:2], question, name in self.records, self.records.get(name) if qtype == _A else None)
            if delay:
                threading.Timer(delay, self._send, (reply, client)).start()
            else:
                self._send(reply, client)

    def _send(self, reply: bytes, client: tuple[str, int]) -> None:
        try:
            self._sock.sendto(reply, client)
        except OSError:
            pass  # closed meanwhile


def _bind_port_53() -> tuple[socket.socket, str]:
    """A UDP socket on port 53 of some 127.53.x.y: all of 127/8 is loopback, so tests never collide."""
    for _ in range(20):
        address = f"127.53.{random.randrange(256)}.{random.randrange(1, 255)}"
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((address, 53))
        except OSError:
            sock.close()
            continue
        return sock, address
    raise OSError("no loopback address with a free port 53")


def _question(query: bytes) -> tuple[str, int, bytes] | None:
    """(name, qtype, the question section) of a one-question query."""
    if len(query) < 12 or struct.unpack("!H", query[4:6])[0] != 1:
        return None
    labels, at = [], 12
    while at < len(query) and query[at]:
        size = query[at]
        labels.append(query[at + 1 : at + 1 + size].decode("ascii", "replace").lower())
        at += 1 + size
    end = at + 5  # the root label, QTYPE and QCLASS
    if end > len(query):
        return None
    qtype = struct.unpack("!H", query[at + 1 : at + 3])[0]
    return ".".join(labels), qtype, query[12:end]


def _reply(query_id: bytes, question: bytes, known: bool, ipv4: str | None) -> bytes:
    flags = 0x8180 if known else 0x8183  # response, recursion desired and available; NXDOMAIN if unknown
    answer = b""
    if ipv4 is not None:
        # The name as a pointer to the question (offset 12), type A, class IN, TTL 1 s, four bytes.
        answer = struct.pack("!HHHIH", 0xC00C, _A, _IN, 1, 4) + socket.inet_aton(ipv4)
    header = query_id + struct.pack("!HHHHH", flags, 1, 1 if answer else 0, 0, 0)
    return header + question + answer
