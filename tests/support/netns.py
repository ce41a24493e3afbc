"""Several hosts on one machine: network namespaces of the test's own making, joined by a bridge.

    with Network() as net:
        redis_host = net.host("redis")          # 10.77.0.2, its own namespace
        api = net.host("api1")                   # 10.77.0.3, ...
        redis_host.popen(["redis-server", ...])  # a process in that namespace
        net.cut(api, redis_host)                 # silent drops both ways, as a partition looks
        net.heal(api, redis_host)

The bridge lives in a namespace of its own (the "switch"), so nothing is added to the machine's own network: each
host is a namespace with one veth whose other end is on that bridge, and an address of ``SUBNET``. A partition is
an ``iptables`` DROP of the peer's packets on both sides (connections time out, as across a real network), not a
refused connection. Code in this process reaches a namespace through ``Host.call`` (a thread that entered it: its
sockets are the namespace's) or ``Host.thread_initializer`` (an executor whose threads live there).

Everything is undone by ``Network.close`` (the ``with`` block's end, on failure too): the processes each host ran
(whole process groups), any process still inside a namespace, then the namespaces themselves; an ``atexit``
backstop does the same if the interpreter exits first. Every command has a deadline.
"""

from __future__ import annotations

import atexit
import ctypes
import itertools
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tests.support.processes import stop_group

T = TypeVar("T")

SUBNET = "10.77.0"
_CLONE_NEWNET = 0x40000000
_COMMAND_TIMEOUT = 15.0
_libc = ctypes.CDLL(None, use_errno=True)
_counter = itertools.count(1)
_OPEN: set[Network] = set()
atexit.register(lambda: [network.close() for network in list(_OPEN)])


class NamespacesUnavailable(RuntimeError):
    """This machine (or user) cannot create network namespaces: the tests that need them skip with this reason."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, check=check)


def unavailable_reason() -> str | None:
    """Why namespaces cannot be made here (not root, no ``ip``/``iptables``, a kernel that refuses), or ``None``."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    for tool in ("ip", "iptables"):
        if shutil.which(tool) is None:
            return f"{tool} is missing: run scripts/install-system-deps.sh netns"
    probe = f"jwfprobe{os.getpid()}"
    try:
        created = _ip("netns", "add", probe, check=False)
        if created.returncode != 0:
            return f"ip netns add failed: {created.stderr.strip()[:200]}"
        rule = subprocess.run(
            ["ip", "netns", "exec", probe, "iptables", "-L", "INPUT", "-n"],
            capture_output=True,
            text=True,
            timeout=_COMMAND_TIMEOUT,
        )
        if rule.returncode != 0:
            return f"iptables does not work in a namespace: {rule.stderr.strip()[:200]}"
    finally:
        _ip("netns", "del", probe, check=False)
    return None


def _enter(name: str) -> None:
    """Move the calling thread (only it: setns(2) acts per thread) into namespace ``name``."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"setns {name}: {os.strerror(errno)}")
    finally:
        os.close(fd)


@dataclass(eq=False)
class Host:
    """One namespace with one address on the network; processes and threads can run in it."""

    network: Network
    name: str
    namespace: str
    address: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def argv(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]

    def popen(self, argv: Sequence[str], log_path: Path, **options: Any) -> subprocess.Popen[bytes]:
        """Start ``argv`` in this namespace, in a session of its own (stopped with its group by ``close``)."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                self.argv(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **options,
            )
        self.processes.append(process)
        return process

    def run(self, argv: Sequence[str], timeout: float = _COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(argv), capture_output=True, text=True, timeout=timeout, check=True)

    def call(self, function: Callable[[], T], timeout: float = 30.0) -> T:
        """``function()`` in a thread inside this namespace (the sockets it opens are this namespace's)."""
        result: Future[T] = Future()

        def body() -> None:
            try:
                _enter(self.namespace)
                result.set_result(function())
            except BaseException as exc:  # handed to the caller
                result.set_exception(exc)

        threading.Thread(target=body, name=f"in-{self.name}", daemon=True).start()
        return result.result(timeout)

    def thread_initializer(self) -> Callable[[], None]:
        """For ``ThreadPoolExecutor(initializer=...)``: every thread of the pool lives in this namespace."""
        namespace = self.namespace
        return lambda: _enter(namespace)

    def drop_from(self, other: Host) -> None:
        self.run(["iptables", "-I", "INPUT", "-s", other.address, "-j", "DROP"])

    def accept_from(self, other: Host) -> None:
        self.run(["iptables", "-D", "INPUT", "-s", other.address, "-j", "DROP"])

    def stop_processes(self) -> None:
        for process in self.processes:
            stop_group(process)
        self.processes.clear()


class Network:
    """A bridge in a namespace of its own and the hosts plugged into it; ``close`` removes every trace."""

    def __init__(self, subnet: str = SUBNET) -> None:
        reason = unavailable_reason()
        if reason is not None:
            raise NamespacesUnavailable(reason)
        self.subnet = subnet
        self.prefix = f"jwf{os.getpid()}n{next(_counter)}"
        self.hosts: list[Host] = []
        self._namespaces: list[str] = []
        self._cuts: set[tuple[str, str]] = set()
        _OPEN.add(self)
        try:
            self.switch = self._namespace("switch")
            _ip("-n", self.switch, "link", "add", "name", "br0", "type", "bridge")
            _ip("-n", self.switch, "link", "set", "br0", "up")
        except BaseException:
            self.close()
            raise

    def _namespace(self, role: str) -> str:
        name = f"{self.prefix}-{role}"
        _ip("netns", "add", name)
        self._namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")
        return name

    def host(self, name: str) -> Host:
        """A new host ``name`` with the next address of the subnet (.2, .3, ...)."""
        index = len(self.hosts) + 2
        if index > 250:
            raise ValueError("at most 249 hosts on one network")
        namespace = self._namespace(name)
        port = f"p{index}"  # the bridge's end, named in the switch namespace only
        _ip(
            "link",
            "add",
            "name",
            "eth0",
            "netns",
            namespace,
            "type",
            "veth",
            "peer",
            "name",
            port,
            "netns",
            self.switch,
        )
        _ip("-n", self.switch, "link", "set", port, "master", "br0")
        _ip("-n", self.switch, "link", "set", port, "up")
        address = f"{self.subnet}.{index}"
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        host = Host(self, name, namespace, address)
        self.hosts.append(host)
        return host

    # -- partitions ---------------------------------------------------------------------------
    def cut(self, a: Host, b: Host) -> None:
        """Drop every packet between ``a`` and ``b`` (both ways, silently: their connections time out)."""
        key = (a.name, b.name)
        if key in self._cuts:
            return
        a.drop_from(b)
        b.drop_from(a)
        self._cuts.add(key)

    def heal(self, a: Host, b: Host) -> None:
        if (a.name, b.name) not in self._cuts:
            return
        a.accept_from(b)
        b.accept_from(a)
        self._cuts.discard((a.name, b.name))

    def heal_all(self) -> None:
        by_name = {host.name: host for host in self.hosts}
        for a, b in list(self._cuts):
            self.heal(by_name[a], by_name[b])

    # -- cleanup --------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop every process the hosts ran and anything left in a namespace, then delete the namespaces."""
        for host in self.hosts:
            host.stop_processes()
        for name in self._namespaces:
            listed = _ip("netns", "pids", name, check=False)
            for pid in listed.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        for name in reversed(self._namespaces):  # deleting a namespace also removes its veth ends
            _ip("netns", "del", name, check=False)
        self._namespaces.clear()
        self.hosts.clear()
        _OPEN.discard(self)

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
