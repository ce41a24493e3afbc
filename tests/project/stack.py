"""Run the real servers (dev idp, API) as processes on free loopback ports.

    with start_idp(tmp, api_urls=[api_url]) as idp, start_api(tmp, {"OIDC_ISSUER": idp.url}) as api:
        ...

Each server gets its own VAR_DIR under the given directory (never the
developer's var/), writes its output to `<dir>/<name>.log`, and is killed
(whole process group) when the `with` block or fixture ends. `Server.stop()`
prints the log tail, which pytest shows only for failing tests.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import requests

from tests.support.loopback import LOOPBACK, free_port

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# Developer settings that must not leak into test processes.
_SCRUBBED_PREFIXES = ("OIDC_", "IDP_", "API_", "JWKS_AUTH_", "DJANGO_", "REDIS_URL", "VAR_DIR", "CORS_", "SSF_")


# Backstop: servers still running when the interpreter exits are stopped too.
_RUNNING: set[Server] = set()
atexit.register(lambda: [server.stop(show_log_lines=0) for server in list(_RUNNING)])


def base_env(settings_module: str, var_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent's environment minus project settings, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(DJANGO_SETTINGS_MODULE=settings_module, VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    env.update(extra or {})
    return env


def manage(
    settings_module: str, env: Mapping[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `manage.py <args>` to completion; raise with its output if it fails."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args, f"--settings={settings_module}"],
        cwd=REPO,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


@dataclass(eq=False)
class Server:
    """A running server process; `url` has no trailing slash."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 10, show_log_lines: int = 80) -> None:
        """Stop the process group (SIGTERM, then SIGKILL) and print the end of its log."""
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        _RUNNING.discard(self)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if show_log_lines:
            tail = "\n".join(self.logs().splitlines()[-show_log_lines:])
            print(f"\n----- {self.name} log ({self.log_path}), last {show_log_lines} lines -----\n{tail}")

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)  # the server runs in its own session: this reaches its workers too
    except ProcessLookupError:
        pass


def start_server(
    name: str,
    directory: Path,
    argv: list[str],
    env: Mapping[str, str],
    port: int,
    ready_path: str = "/",
    timeout: float = 30,
) -> Server:
    """Start `argv` in its own process group, logging to `<directory>/<name>.log`; wait until it answers HTTP."""
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / f"{name}.log"
    log_file = open(log_path, "ab")
    process = subprocess.Popen(
        argv, cwd=REPO, env=dict(env), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(name, f"http://{LOOPBACK}:{port}", process, log_path, dict(env), log_file)
    _RUNNING.add(server)
    try:
        wait_until_answering(server, ready_path, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_answering(server: Server, path: str = "/", timeout: float = 30) -> None:
    """Poll until the server returns any HTTP response; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.logs()}")
        try:
            requests.get(server.url + path, timeout=1)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{server.name} did not answer on {server.url} within {timeout} s:\n{server.logs()}"
                ) from None
            time.sleep(0.1)


def runserver_argv(settings_module: str, port: int) -> list[str]:
    return [PYTHON, "manage.py", "runserver", f"{LOOPBACK}:{port}", "--noreload", f"--settings={settings_module}"]


def create_signing_cert(certs_dir: Path, bits: int = 2048) -> dict[str, str]:
    """Make a signing key and certificate in `certs_dir`; returns the env vars that point the idp at them."""
    paths = {
        "IDP_SIGNING_KEY": str(certs_dir / "signing-key.pem"),
        "IDP_SIGNING_CERT": str(certs_dir / "signing-cert.pem"),
    }
    manage("idp.settings", base_env("idp.settings", certs_dir, paths), "create_signing_cert", f"--bits={bits}")
    return paths


def start_idp(
    directory: Path,
    api_urls: Iterable[str] = (),
    *,
    certs_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    name: str = "idp",
) -> Server:
    """Migrate, seed and start the dev idp; its issuer is its own loopback URL.

    `api_urls` become the browser client's redirect URIs and the CORS origins.
    Without `certs_dir` a fresh signing key is created under `directory`.
    """
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    var_dir = directory / f"{name}-var"
    api_urls = [u.rstrip("/") for u in api_urls]
    settings_env = dict(
        create_signing_cert(directory / f"{name}-certs")
        if certs_dir is None
        else {
            "IDP_SIGNING_KEY": str(certs_dir / "signing-key.pem"),
            "IDP_SIGNING_CERT": str(certs_dir / "signing-cert.pem"),
        }
    )
    # Session-revoked events go to the first API (never to a developer's :5002); none without one.
    settings_env.update(
        IDP_ISSUER=url,
        IDP_API_URLS=",".join(api_urls),
        IDP_SSF_PUSH_URL=f"{api_urls[0]}/ssf/events" if api_urls else "",
    )
    if api_urls:
        settings_env["IDP_CORS_ALLOWED_ORIGINS"] = ",".join(api_urls)
    settings_env.update(env or {})
    full_env = base_env("idp.settings", var_dir, settings_env)
    var_dir.mkdir(parents=True, exist_ok=True)
    manage("idp.settings", full_env, "migrate", "--noinput", "-v0")
    manage("idp.settings", full_env, "seed_idp")
    return start_server(
        name, directory, runserver_argv("idp.settings", port), full_env, port, "/.well-known/openid-configuration"
    )


def start_api(
    directory: Path,
    env: Mapping[str, str],
    *,
    port: int | None = None,
    workers: int = 0,
    name: str = "api",
) -> Server:
    """Start the API (config.settings) with `env` (OIDC_ISSUER, OIDC_AUDIENCE, ...).

    workers=0 runs `manage.py runserver --noreload`; workers>=1 runs gunicorn
    with that many worker processes. Pass `port` to know the URL in advance
    (e.g. to register it with the idp first); see free_port().
    """
    port = port or free_port()
    var_dir = directory / f"{name}-var"
    var_dir.mkdir(parents=True, exist_ok=True)
    full_env = base_env("config.settings", var_dir, env)
    manage("config.settings", full_env, "migrate", "--noinput", "-v0")
    if workers:
        argv = [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"{LOOPBACK}:{port}",
            "--workers",
            str(workers),
            # Believe no client's X-Forwarded-Proto (gunicorn trusts 127.0.0.1's by default).
            "--forwarded-allow-ips",
            "",
        ]
    else:
        argv = runserver_argv("config.settings", port)
    return start_server(name, directory, argv, full_env, port)


def start_serve(directory: Path, env: Mapping[str, str], *, workers: int = 1, name: str = "serve") -> Server:
    """`make serve`'s command (scripts/serve.sh: granian, DEBUG off) on a free port, with `env` (OIDC_ISSUER, ...)."""
    port = free_port()
    full_env = base_env(
        "config.settings",
        directory / f"{name}-var",
        {
            "API_HOST": LOOPBACK,
            "API_PORT": str(port),
            "WEB_CONCURRENCY": str(workers),
            "PY": PYTHON,
            "DJANGO_SECRET_KEY": "serve-test-" + os.urandom(8).hex(),
            "DJANGO_ALLOWED_HOSTS": LOOPBACK,
            **env,
        },
    )
    return start_server(name, directory, [str(REPO / "scripts" / "serve.sh")], full_env, port, timeout=60)


def call_api(idp: Server, api: Server, *extra: str) -> subprocess.CompletedProcess[str]:
    """The console client (``manage.py call_api``) against this stack, with ``extra`` arguments."""
    return subprocess.run(
        [PYTHON, "manage.py", "call_api", "--issuer", idp.url, "--api-url", api.url, *extra],
        cwd=REPO,
        env=base_env("config.settings", Path(api.env["VAR_DIR"])),
        capture_output=True,
        text=True,
        timeout=60,
    )
