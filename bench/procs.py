"""Starting and always stopping the servers a benchmark needs.

Every process runs in its own session (process group), so stopping it also
stops the workers it forked (gunicorn workers, npm's node).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class ServerError(RuntimeError):
    """A server did not come up; carries the tail of its log."""


class Managed:
    """A child process group with its log file."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path, log_dir: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def command_line(self, env_keys: Sequence[str] = ()) -> str:
        """The shell command that reproduces this process (with the chosen env vars)."""
        env = " ".join(f"{k}={shlex.quote(self.env[k])}" for k in env_keys if k in self.env)
        return (env + " " if env else "") + shlex.join(self.argv)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the whole group, then SIGKILL whatever is left."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:  # stragglers in the group (forked workers) even if the leader exited
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(5)
        self._log.close()


@contextmanager
def managed(name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path, log_dir: Path) -> Iterator[Managed]:
    proc = Managed(name, argv, env, cwd, log_dir)
    try:
        yield proc
    finally:
        proc.stop()


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU seconds of every live process in process group `pgid`."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) == pgid:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / _CLK_TCK


def wait_for_port(proc: Managed, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise ServerError(f"{proc.name} exited with {proc.proc.returncode}:\n{proc.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ServerError(f"{proc.name} did not listen on {port} within {timeout}s:\n{proc.log_tail()}")


def http_get(url: str, token: str | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    """Status and body of a GET, without raising on 4xx/5xx."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


#: What a measuring worker must not inherit from the bench's own environment: it configures itself.
WORKER_ENV_DROPPED = ("DJANGO_SETTINGS_MODULE", "REDIS_URL")


def run_worker(
    argv: Sequence[str],
    what: str,
    timeout: float,
    *,
    dropped: Sequence[str] = WORKER_ENV_DROPPED,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run a bench worker process to its end and return the JSON object of its last line of output.

    ``dropped`` names the variables not inherited; ``env`` adds some. A failed worker raises ``RuntimeError``
    naming ``what`` with the tail of its stderr.
    """
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update(env or {})
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(list(argv), cwd=root, env=environment, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed ({out.returncode}):\n{out.stderr[-4000:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    if not isinstance(data, dict):
        raise RuntimeError(f"{what}: its last line is not a JSON object")
    return data
