"""The servers under load: the product under each production server, redis-server, the Node peer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.machine import free_port
from bench.procs import Managed, managed, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PEER_DIR = ROOT / "bench" / "node-peer"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
SERVE_SCRIPT = ROOT / "scripts" / "serve.sh"

# Environment variables shown in the report's command lines.
API_ENV_KEYS = (
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "OIDC_ISSUER",
    "OIDC_AUDIENCE",
    "OIDC_JWKS_URI",
    "REDIS_URL",
    "JWKS_AUTH_LOG_LEVEL",
    "API_HOST",
    "API_PORT",
    "WEB_CONCURRENCY",
)
PEER_ENV_KEYS = ("PORT", "ISSUER", "AUDIENCE", "JWKS_URI", "NODE_ENV", "WEB_CONCURRENCY")

WSGI_APP = "config.wsgi:application"
ASGI_APP = "config.asgi:application"
FLOOR_APP = "bench.floor_app:application"
FLOOR_ASGI_APP = "bench.floor_app:asgi_application"


@dataclass(frozen=True)
class ServerSetup:
    """One production server configuration to try.

    server: "gunicorn" (worker_class sync or gthread), "granian" (WSGI; threads
    = blocking threads per worker, 0 for granian's default), "uvicorn" (ASGI,
    config/asgi.py) or "make serve" (scripts/serve.sh, whatever it runs).
    """

    server: str
    workers: int
    worker_class: str = ""
    threads: int = 1
    python: str = ""  # another interpreter (the Django peers' venv); default: this one
    app: str = ""  # another WSGI application; default: the product's
    interface: str = "wsgi"  # granian's: "asgi" serves an ASGI application

    @property
    def label(self) -> str:
        if self.server == "gunicorn":
            if self.worker_class == "sync":
                return f"gunicorn sync, {self.workers} workers"
            return f"gunicorn gthread, {self.workers} workers x {self.threads} threads"
        if self.server == "granian":
            threads = "default blocking threads" if self.threads == 0 else f"{self.threads} blocking thread(s)"
            return f"granian {self.interface.upper()}, {self.workers} workers, {threads}"
        if self.server == "uvicorn":
            return f"uvicorn ASGI, {self.workers} workers"
        return f"make serve (scripts/serve.sh), WEB_CONCURRENCY={self.workers}"

    @property
    def asgi(self) -> bool:
        return self.server == "uvicorn" or (self.server == "granian" and self.interface == "asgi")

    def argv(self, port: int, app: str | None = None) -> list[str]:
        """The command line; `app` replaces the product's application (the floor)."""
        if self.server == "gunicorn":
            argv = [
                GUNICORN,
                app or WSGI_APP,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                self.worker_class,
                "--no-control-socket",  # gunicorn 27 would share one in $HOME between instances
                "--forwarded-allow-ips",
                "",  # as production behind a proxy should: see the README
            ]
            if self.worker_class == "gthread":
                argv += ["--threads", str(self.threads)]
            return argv + ["--log-level", "warning"]
        if self.server == "granian":
            argv = [
                self.python or PYTHON,
                "-m",
                "granian",
                "--interface",
                self.interface,
                app or self.app or (ASGI_APP if self.asgi else WSGI_APP),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.workers),
                "--no-ws",
                "--log-level",
                "warning",
            ]
            return argv + (["--blocking-threads", str(self.threads)] if self.threads else [])
        if self.server == "uvicorn":
            return [
                PYTHON,
                "-m",
                "uvicorn",
                app or ASGI_APP,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.workers),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--no-proxy-headers",
                "--log-level",
                "warning",
                "--lifespan",
                "off",
            ]
        if app is not None:
            raise ValueError("scripts/serve.sh serves the product only")
        return [str(SERVE_SCRIPT)]

    def env(self, port: int) -> dict[str, str]:
        """Extra environment: scripts/serve.sh takes its settings from there."""
        if self.server != "make serve":
            return {}
        return {"API_HOST": "127.0.0.1", "API_PORT": str(port), "WEB_CONCURRENCY": str(self.workers), "PY": PYTHON}


@dataclass(frozen=True)
class Server:
    proc: Managed
    base_url: str

    def command_line(self, env_keys: tuple[str, ...]) -> str:
        shown = self.proc.command_line(env_keys)
        shown = shown.replace(GUNICORN, ".venv/bin/gunicorn", 1).replace(PYTHON, ".venv/bin/python", 1)
        return shown.replace(str(SERVE_SCRIPT), "scripts/serve.sh", 1)


def api_env(issuer: str, jwks_uri: str, var_dir: Path, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WEB_CONCURRENCY", "API_PORT")}
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


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


@contextmanager
def product(setup: ServerSetup, env: dict[str, str], log_dir: Path, floor: bool = False) -> Iterator[Server]:
    """The API (or, with `floor`, the bare app) under `setup`, on a free port."""
    port = free_port()
    app = (FLOOR_ASGI_APP if setup.asgi else FLOOR_APP) if floor else None
    name = _slug(setup.label) + ("-redis" if "REDIS_URL" in env else "") + ("-floor" if floor else "")
    with managed(name, setup.argv(port, app), {**env, **setup.env(port)}, ROOT, log_dir) as proc:
        wait_for_port(proc, port, timeout=60)
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
            cwd=PEER_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"npm ci took longer than {timeout:.0f}s"
    if out.returncode != 0:
        return "npm ci failed: " + (out.stderr or out.stdout).strip()[-300:]
    return None


@contextmanager
def node_peer(issuer: str, jwks_uri: str, log_dir: Path, processes: int = 1) -> Iterator[Server]:
    """The seed's Express API as shipped (one process), or in Node's cluster mode with `processes` workers."""
    port = free_port()
    env = dict(os.environ, PORT=str(port), ISSUER=issuer, AUDIENCE="api1", JWKS_URI=jwks_uri, NODE_ENV="production")
    script = "index.js"
    if processes > 1:
        env["WEB_CONCURRENCY"] = str(processes)
        script = "cluster.js"
    name = "node-peer" + (f"-cluster-{processes}" if processes > 1 else "")
    with managed(name, ["node", script], env, PEER_DIR, log_dir) as proc:
        wait_for_port(proc, port)
        yield Server(proc, f"http://127.0.0.1:{port}")
