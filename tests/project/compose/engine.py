"""The Docker engine and the compose command the compose tests drive.

`ensure_engine()` installs what is missing (scripts/install-system-deps.sh docker: Debian's docker.io,
docker-compose and debootstrap), starts `dockerd` when no daemon answers and stops it again in `Engine.close()`.
Every command runs with a deadline and with a fresh DOCKER_CONFIG, so the host's client configuration (its
credential helpers among them) never takes part. The daemon keeps its data where it does by default
(/var/lib/docker): the images built here stay for the next run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tests.project.stack import REPO

DAEMON_START_TIMEOUT = 60.0
DAEMON_STOP_TIMEOUT = 30.0
INSTALL_TIMEOUT = 600.0
DOCKERD_PID_FILE = Path("/var/run/docker.pid")


class EngineUnavailable(Exception):
    """Docker cannot run on this machine (the message says why)."""


class CommandFailed(RuntimeError):
    pass


def run(
    argv: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    stdin: IO[bytes] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion within `timeout` seconds; with `check`, raise with its output if it fails."""
    try:
        result = subprocess.run(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise CommandFailed(f"{' '.join(argv)} did not finish within {timeout:.0f} s:\n{_text(exc.stdout)}") from None
    if check and result.returncode != 0:
        raise CommandFailed(
            f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")[-4000:]
    return (output or "")[-4000:]


@dataclass
class Engine:
    """A Docker daemon that answers, the client commands for it and the environment they run in."""

    env: dict[str, str]
    compose: list[str]
    daemon: subprocess.Popen[bytes] | None = None  # only when this process started it
    daemon_log: Path | None = None
    notes: list[str] = field(default_factory=list)

    def docker(self, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["docker", *args], timeout, env=self.env, check=check)

    def image_id(self, tag: str) -> str | None:
        result = self.docker("image", "inspect", "--format", "{{.Id}}", tag, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def has_image(self, tag: str) -> bool:
        return self.image_id(tag) is not None

    def image_label(self, tag: str, label: str) -> str:
        result = self.docker("image", "inspect", "--format", f'{{{{index .Config.Labels "{label}"}}}}', tag)
        return result.stdout.strip().replace("<no value>", "")

    def close(self) -> None:
        """Stop the daemon if this process started it (SIGTERM, then SIGKILL after DAEMON_STOP_TIMEOUT)."""
        if self.daemon is None or self.daemon.poll() is not None:
            return
        self.daemon.send_signal(signal.SIGTERM)
        try:
            self.daemon.wait(timeout=DAEMON_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait(timeout=DAEMON_STOP_TIMEOUT)


def ensure_engine(directory: Path) -> Engine:
    """A Docker engine ready for `docker build` and compose, or EngineUnavailable with the reason."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "docker-config"
    config.mkdir(exist_ok=True)
    env = {**os.environ, "DOCKER_CONFIG": str(config)}
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        env.pop(name, None)  # the local daemon, whatever a developer's shell points at
    _install_packages()
    engine = Engine(env=env, compose=[])
    if not _daemon_answers(engine):
        _start_daemon(engine, directory)
    engine.compose = _compose_command(engine)
    return engine


def _install_packages() -> None:
    try:
        run([str(REPO / "scripts" / "install-system-deps.sh"), "docker"], INSTALL_TIMEOUT)
    except CommandFailed as exc:
        raise EngineUnavailable(f"Docker could not be installed: {exc}") from None
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        raise EngineUnavailable("dockerd or docker is missing after scripts/install-system-deps.sh docker")


def _daemon_answers(engine: Engine) -> bool:
    return engine.docker("info", "--format", "{{.ServerVersion}}", timeout=20, check=False).returncode == 0


def _start_daemon(engine: Engine, directory: Path) -> None:
    if os.geteuid() != 0:
        raise EngineUnavailable("no Docker daemon answers, and starting one needs root")
    _remove_stale_pid_file()
    engine.daemon_log = directory / "dockerd.log"
    with open(engine.daemon_log, "ab") as log:
        engine.daemon = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + DAEMON_START_TIMEOUT
    while not _daemon_answers(engine):
        if engine.daemon.poll() is not None or time.monotonic() > deadline:
            engine.close()
            tail = "\n".join(engine.daemon_log.read_text(errors="replace").splitlines()[-30:])
            raise EngineUnavailable(f"dockerd did not start (log {engine.daemon_log}):\n{tail}")
        time.sleep(0.5)
    engine.notes.append(f"started dockerd (pid {engine.daemon.pid}); it is stopped after the tests")


def _remove_stale_pid_file() -> None:
    """A dockerd that was killed leaves its pid file, and a new one refuses to start while it is there."""
    try:
        pid = int(DOCKERD_PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        DOCKERD_PID_FILE.unlink(missing_ok=True)
    except PermissionError:
        pass  # alive, and someone else's


def _compose_command(engine: Engine) -> list[str]:
    """The compose plugin (`docker compose`) where there is one, else Debian's docker-compose."""
    if run(["docker", "compose", "version"], 30, env=engine.env, check=False).returncode == 0:
        return ["docker", "compose"]
    if (
        shutil.which("docker-compose")
        and run(["docker-compose", "version"], 30, env=engine.env, check=False).returncode == 0
    ):
        return ["docker-compose"]
    raise EngineUnavailable("neither `docker compose` nor `docker-compose` runs")
