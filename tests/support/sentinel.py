"""Redis with failover on loopback: a primary, two replicas and three sentinels (Debian's redis-server, redis-sentinel).

    with SentinelRedis(tmp_path) as redis_set:
        redis_set.sentinel_addresses        # [("127.0.0.1", port), ...] for django-redis's SENTINELS
        redis_set.kill_primary()            # SIGKILL, as a crashed host
        redis_set.wait_for_failover(old)    # a replica promoted, bounded

Every process runs in a session of its own (``tests/support/processes.ProcessGroup``) and is stopped, whole group,
when the ``with`` block ends, failure included. Timings are short (a primary is down after 1 s without answers)
so a failover takes a few seconds; production keeps Sentinel's defaults or its provider's.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Self

from tests.support.loopback import LOOPBACK, free_port
from tests.support.processes import REPO, ProcessGroup, _port_open, redis_server_binary

SERVICE = "jwks-primary"
DOWN_AFTER_MS = 1000
#: Sentinel starts no second failover of one primary within twice this: rounds of a soak wait that long.
FAILOVER_TIMEOUT_MS = 3000


def redis_sentinel_binary() -> str:
    """The redis-sentinel path (Debian's package: the same server in sentinel mode), installed when missing."""
    found = shutil.which("redis-sentinel")
    if found is None:
        subprocess.run([str(REPO / "scripts" / "install-system-deps.sh"), "redis-sentinel"], check=True, timeout=600)
        found = shutil.which("redis-sentinel")
    if found is None:
        raise RuntimeError("redis-sentinel is not installed and could not be installed")
    return found


class RedisProcess(ProcessGroup):
    """One redis-server or redis-sentinel with a config file of its own, on a free loopback port."""

    def __init__(self, directory: Path, name: str, lines: list[str], sentinel: bool = False) -> None:
        self.directory = directory
        self.name = name
        self.port = free_port()
        self.sentinel = sentinel
        self.lines = lines
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = directory / f"{name}.log"

    def start(self, timeout: float = 10) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / f"{self.name}.conf"  # sentinel rewrites its own: a file of its own
        config.write_text(
            "\n".join([f"port {self.port}", f"bind {LOOPBACK}", "daemonize no", f"dir {self.directory}", *self.lines])
            + "\n"
        )
        binary = redis_sentinel_binary() if self.sentinel else redis_server_binary()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [binary, str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.logs()}")
            time.sleep(0.02)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last replication."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(5)

    def client(self) -> Any:
        import redis

        return redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=2, socket_connect_timeout=2)


class SentinelRedis:
    """A primary, ``replicas`` replicas and ``sentinels`` sentinels (quorum: a majority)."""

    def __init__(self, directory: Path, replicas: int = 2, sentinels: int = 3) -> None:
        self.directory = directory
        self.replica_count = replicas
        self.sentinel_count = sentinels
        self.servers: list[RedisProcess] = []
        self.sentinels: list[RedisProcess] = []
        self._stack = ExitStack()

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        return [(LOOPBACK, s.port) for s in self.sentinels]

    def start(self) -> Self:
        try:
            base = ["save ''", "appendonly no", "repl-diskless-sync yes", "repl-diskless-sync-delay 0"]
            primary = self._stack.enter_context(RedisProcess(self.directory, "redis-0", base))
            self.servers.append(primary)
            for i in range(1, self.replica_count + 1):
                lines = [*base, f"replicaof {LOOPBACK} {primary.port}"]
                self.servers.append(self._stack.enter_context(RedisProcess(self.directory, f"redis-{i}", lines)))
            self._wait_replicas(primary, self.replica_count)
            quorum = self.sentinel_count // 2 + 1
            for i in range(self.sentinel_count):
                lines = [
                    f"sentinel monitor {SERVICE} {LOOPBACK} {primary.port} {quorum}",
                    f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}",
                    f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}",
                    f"sentinel parallel-syncs {SERVICE} 2",
                ]
                self.sentinels.append(
                    self._stack.enter_context(RedisProcess(self.directory, f"sentinel-{i}", lines, sentinel=True))
                )
            self._wait_sentinels_agree(primary.port)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stack.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state ----------------------------------------------------------------------------------
    def primary_port(self) -> int | None:
        """The primary the sentinels name now (the first sentinel that answers)."""
        for sentinel in self.sentinels:
            try:
                host, port = sentinel.client().execute_command("SENTINEL", "get-master-addr-by-name", SERVICE)
                return int(port)
            except Exception:  # this sentinel is busy or gone: ask the next
                continue
        return None

    def primary(self) -> RedisProcess:
        port = self.primary_port()
        for server in self.servers:
            if server.port == port:
                return server
        raise RuntimeError(f"no server on the primary's port {port}")

    def kill_primary(self) -> RedisProcess:
        primary = self.primary()
        primary.kill()
        return primary

    def wait_for_failover(self, old_port: int, timeout: float = 30) -> float:
        """Seconds until the sentinels name another primary that answers as one; raises past ``timeout``."""
        started = time.monotonic()
        for _ in range(int(timeout / 0.05)):
            port = self.primary_port()
            if port is not None and port != old_port:
                try:
                    server = next(s for s in self.servers if s.port == port)
                    if server.client().info("replication")["role"] == "master":
                        return time.monotonic() - started
                except Exception:  # promoted but not answering yet
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"no failover within {timeout} s")

    def ready_for_next_failover(self, failed_over_at: float, timeout: float = 30) -> None:
        """Until Sentinel may fail over again (twice the failover timeout) and the primary has a replica online."""
        time.sleep(max(0.0, failed_over_at + 2 * FAILOVER_TIMEOUT_MS / 1000 + 0.5 - time.monotonic()))
        self._wait_replicas(self.primary(), 1, timeout)

    def _wait_replicas(self, primary: RedisProcess, count: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while True:
            info = primary.client().info("replication")
            online = sum(1 for k, v in info.items() if k.startswith("slave") and v.get("state") == "online")
            if online >= count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{online} of {count} replicas online after {timeout} s:\n{primary.logs()}")
            time.sleep(0.05)

    def _wait_sentinels_agree(self, port: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                known = [
                    _field(s.client().execute_command("SENTINEL", "master", SERVICE), "num-other-sentinels")
                    for s in self.sentinels
                ]
                if all(n >= self.sentinel_count - 1 for n in known):
                    return
            except Exception:  # not ready yet
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sentinels did not find each other within {timeout} s")
            time.sleep(0.1)


def _field(reply: Any, name: str) -> int:
    """A field of ``SENTINEL master``'s reply (a dict, or a flat [name, value, ...] list by protocol version)."""
    if isinstance(reply, dict):
        fields = {(k.decode() if isinstance(k, bytes) else k): v for k, v in reply.items()}
    else:
        items = [x.decode() if isinstance(x, bytes) else x for x in reply]
        fields = dict(zip(items[::2], items[1::2], strict=False))
    return int(fields[name])
