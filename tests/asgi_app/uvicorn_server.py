"""``uvicorn tests.asgi_app.asgi:application`` with N worker processes, in its own process group."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.processes import LOOPBACK, REPO, ProcessGroup, free_port


@dataclass
class Uvicorn(ProcessGroup):
    env: Mapping[str, str]
    directory: Path
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.directory / "uvicorn.log"

    def start(self, timeout: float = 60) -> Uvicorn:
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.asgi_app.asgi:application",
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "2",
            # No client's X-Forwarded-For/-Proto rewrites REMOTE_ADDR or the scheme (uvicorn believes
            # 127.0.0.1's by default, and every test client is on 127.0.0.1).
            "--no-proxy-headers",
        ]
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "tests.asgi_app.settings"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.wait_for_workers(timeout)
        return self

    def wait_for_workers(self, timeout: float) -> None:
        """Until every worker has answered ``GET /pid`` (no token: the key store stays cold)."""
        deadline = time.monotonic() + timeout
        seen: set[int] = set()
        with ThreadPoolExecutor(8) as pool:
            while len(seen) < self.workers:
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"uvicorn exited:\n{self.logs()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn workers did not all answer within {timeout} s:\n{self.logs()}")
                seen.update(pid for pid in pool.map(lambda _: self._pid(), range(16)) if pid)
                time.sleep(0.05)
        self.pids = seen

    def _pid(self) -> int | None:
        try:
            return int(requests.get(self.url + "/pid", timeout=5).json()["pid"])
        except (requests.RequestException, ValueError, KeyError):
            return None
