"""Real processes for the multi-worker key store tests: redis-server and gunicorn.

Both run in their own session (process group) on a free loopback port and
are stopped (SIGTERM, then SIGKILL of the whole group) when their ``with``
block ends. Used by ``tests/keys/test_multiprocess.py`` and by
``bench/keystore_figures.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import requests

from tests.support.loopback import LOOPBACK, free_port

REPO = Path(__file__).resolve().parents[2]
# Developer settings that must not leak into the worker processes.
_SCRUBBED_PREFIXES = ("OIDC_", "IDP_", "API_", "JWKS_AUTH_", "DJANGO_", "REDIS_URL", "VAR_DIR", "CORS_", "TEST_")


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((LOOPBACK, port)) == 0


def stop_group(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a process started in its own group: SIGTERM, then SIGKILL for whatever the group left behind."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:  # forked children left in the group
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.wait(5)


def redis_server_binary() -> str:
    """The redis-server path, installing the Debian package when it is missing."""
    found = shutil.which("redis-server")
    if found is None:
        subprocess.run([str(REPO / "scripts" / "install-system-deps.sh"), "redis"], check=True)
        found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("redis-server is not installed and could not be installed")
    return found


class ProcessGroup:
    """A server process in its own session: ``with`` starts it, and its end stops the whole group.

    Subclasses set ``process`` in ``start()`` (which returns ``self``) and name their ``log_path``.
    """

    process: subprocess.Popen[bytes] | None
    log_path: Path

    def start(self) -> Self:
        raise NotImplementedError

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
            self.process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RedisServer(ProcessGroup):
    """A throwaway redis-server (no persistence) that can be stopped and restarted on its port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = directory / f"redis-{self.port}.log"

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self, timeout: float = 10) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            LOOPBACK,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{self.log_path.read_text(errors='replace')}")
            time.sleep(0.02)
        return self

    def client(self) -> Any:
        import redis

        return redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=2)


_ACCESS_LINE = re.compile(r"^<(\d+)> (\d{3}) (\S+)$")


@dataclass
class Gunicorn(ProcessGroup):
    """``gunicorn tests.wsgi:application`` with N sync workers and an access log naming each worker's pid."""

    env: Mapping[str, str]
    directory: Path
    workers: int = 4
    name: str = "api"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.directory / f"{self.name}-access.log"

    @property
    def log_path(self) -> Path:
        return self.directory / f"{self.name}.log"

    def start(self, timeout: float = 60) -> Gunicorn:
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "tests.wsgi:application",
            "--bind",
            f"{LOOPBACK}:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--graceful-timeout",
            "2",
            "--backlog",
            "512",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            "%(p)s %(s)s %(U)s",
            "--no-control-socket",  # gunicorn 27 would share one in $HOME between instances
            # Believe no client's X-Forwarded-Proto (gunicorn trusts 127.0.0.1's by default, and every
            # test client is on 127.0.0.1): the scheme a DPoP proof's htu needs is the one it connected with.
            "--forwarded-allow-ips",
            "",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=REPO,
                env=dict(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.wait_for_workers(timeout)
        return self

    def wait_for_workers(self, timeout: float = 60) -> None:
        """Until every worker has answered ``GET /`` (public: no token, no key fetch)."""
        deadline = time.monotonic() + timeout
        with ThreadPoolExecutor(self.workers * 2) as pool:
            while len(self.pids("/", 200)) < self.workers:
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited:\n{self.logs()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn workers did not all answer within {timeout} s:\n{self.logs()}")
                list(pool.map(lambda _: _quiet_get(self.url + "/"), range(self.workers * 2)))
                time.sleep(0.05)

    def access(self) -> list[tuple[int, int, str]]:
        """(worker pid, status, path) of every request so far."""
        if not self.access_log.exists():
            return []
        rows = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            match = _ACCESS_LINE.match(line.strip())
            if match:
                rows.append((int(match.group(1)), int(match.group(2)), match.group(3)))
        return rows

    def pids(
        self, path: str | None = None, status: int | None = None, since: int = 0, until: int | None = None
    ) -> set[int]:
        """Worker pids that answered ``path`` with ``status`` (access log rows ``since``..``until``)."""
        return {
            pid
            for pid, code, p in self.access()[since:until]
            if (path is None or p == path) and (status is None or code == status)
        }

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]


def _quiet_get(url: str) -> None:
    try:
        requests.get(url, timeout=5)
    except requests.RequestException:
        pass


def api_env(issuer: str, var_dir: Path, redis_url: str | None, overrides: Mapping[str, Any]) -> dict[str, str]:
    """The environment of the API workers: the test provider, one Redis, short timings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    var_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        # The library's own test settings (tests/settings.py), never the sample project's.
        DJANGO_SETTINGS_MODULE="tests.settings",
        TEST_SECRET_KEY="keystore-tests-" + os.urandom(8).hex(),
        TEST_JWKS_AUTH=json.dumps({"ISSUER": issuer, "AUDIENCE": ["api1"], **overrides}),
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if redis_url:
        env["TEST_REDIS_URL"] = redis_url
    return env


@dataclass
class Tally:
    """Responses by status, thread-safe; a connection error counts as status 0."""

    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    retry_after_missing: int = 0

    def add(self, status: int, retry_after: str | None = None) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status == 503 and not retry_after:
                self.retry_after_missing += 1

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def count(self, *statuses: int) -> int:
        return sum(self.statuses[s] for s in statuses)

    def not_ok(self) -> int:
        return self.total - self.statuses[200]


_local = threading.local()


def call_me(url: str, token: str, tally: Tally | None = None) -> int:
    """``GET /me`` with the token; returns the status (0 on a connection error)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    try:
        response = session.get(url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        status, retry_after = response.status_code, response.headers.get("Retry-After")
    except requests.RequestException:
        status, retry_after = 0, None
    if tally is not None:
        tally.add(status, retry_after)
    return status


def fire_at_once(url: str, tokens: Iterable[str], threads: int, tally: Tally) -> list[int]:
    """Send every token from ``threads`` threads released together; the statuses in order."""
    tokens = list(tokens)
    barrier = threading.Barrier(min(threads, len(tokens)))

    def one(index_token: tuple[int, str]) -> int:
        index, token = index_token
        if index < barrier.parties:
            barrier.wait(timeout=30)
        return call_me(url, token, tally)

    with ThreadPoolExecutor(barrier.parties) as pool:
        return list(pool.map(one, enumerate(tokens)))
