"""The servers under load: gunicorn (the product), redis-server, the Node peer."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bench.machine import free_port
from bench.procs import Managed, managed, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PEER_DIR = ROOT / "bench" / "node-peer"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")

# Environment variables shown in the report's command lines.
API_ENV_KEYS = (
    "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS", "OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_JWKS_URI", "REDIS_URL",
    "JWKS_AUTH_LOG_LEVEL",
)
PEER_ENV_KEYS = ("PORT", "ISSUER", "AUDIENCE", "JWKS_URI", "NODE_ENV")


@dataclass(frozen=True)
class GunicornSetup:
    """A worker model to try: sync workers, or gthread workers with threads."""

    worker_class: str
    workers: int
    threads: int = 1

    @property
    def label(self) -> str:
        if self.worker_class == "sync":
            return f"sync, {self.workers} workers"
        return f"gthread, {self.workers} workers x {self.threads} threads"

    def argv(self, port: int, app: str = "config.wsgi:application") -> list[str]:
        argv = [
            GUNICORN, app, "--bind", f"127.0.0.1:{port}",
            "--workers", str(self.workers), "--worker-class", self.worker_class,
        ]
        if self.worker_class == "gthread":
            argv += ["--threads", str(self.threads)]
        return argv + ["--log-level", "warning"]


@dataclass(frozen=True)
class Server:
    proc: Managed
    base_url: str

    def command_line(self, env_keys: tuple[str, ...]) -> str:
        shown = self.proc.command_line(env_keys)
        return shown.replace(GUNICORN, ".venv/bin/gunicorn", 1)


def api_env(issuer: str, jwks_uri: str, var_dir: Path, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECRET_KEY="bench-only-" + os.urandom(16).hex(),
        OIDC_ISSUER=issuer,
        OIDC_AUDIENCE="api1",
        OIDC_JWKS_URI=jwks_uri,
        JWKS_AUTH_LOG_LEVEL="WARNING",
        VAR_DIR=str(var_dir),
        PYTHONDONTWRITEBYTECODE="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


FLOOR_APP = "bench.floor_app:application"


@contextmanager
def gunicorn(setup: GunicornSetup, env: dict[str, str], log_dir: Path, app: str = "config.wsgi:application") -> Iterator[Server]:
    port = free_port()
    name = f"gunicorn-{setup.worker_class}-{setup.workers}x{setup.threads}" + ("-redis" if "REDIS_URL" in env else "")
    name += "-floor" if app == FLOOR_APP else ""
    with managed(name, setup.argv(port, app), env, ROOT, log_dir) as proc:
        wait_for_port(proc, port)
        yield Server(proc, f"http://127.0.0.1:{port}")


@contextmanager
def redis(log_dir: Path) -> Iterator[str]:
    """A throwaway redis-server on a free port; yields its URL."""
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with managed("redis", argv, dict(os.environ), ROOT, log_dir) as proc:
        wait_for_port(proc, port)
        yield f"redis://127.0.0.1:{port}/0"


def ensure_peer_installed(timeout: float) -> str | None:
    """Install the peer's locked dependencies if needed; None when ready, else why not."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not installed"
    if (PEER_DIR / "node_modules" / "express-jwt").is_dir():
        return None
    try:
        out = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER_DIR, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"npm ci took longer than {timeout:.0f}s"
    if out.returncode != 0:
        return "npm ci failed: " + (out.stderr or out.stdout).strip()[-300:]
    return None


@contextmanager
def node_peer(issuer: str, jwks_uri: str, log_dir: Path) -> Iterator[Server]:
    port = free_port()
    env = dict(os.environ, PORT=str(port), ISSUER=issuer, AUDIENCE="api1", JWKS_URI=jwks_uri, NODE_ENV="production")
    with managed("node-peer", ["node", "index.js"], env, PEER_DIR, log_dir) as proc:
        wait_for_port(proc, port)
        yield Server(proc, f"http://127.0.0.1:{port}")
