"""`make run` fails fast, naming IDP_PORT / API_PORT, when another program holds a port, whatever it is."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.project.stack import REPO
from tests.support.loopback import free_port

#: Each test starts the script (or make) as a process.
pytestmark = pytest.mark.slow

#: Well under runserver's start and the 60 s wait of the old script: the check answers at once.
FAST = 5.0


@contextmanager
def http_listener() -> Iterator[int]:
    """A real HTTP server on a loopback port (an AirPlay Receiver answers HTTP on 5000)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_listener() -> Iterator[int]:
    """A listener that accepts connections and never says a word (not HTTP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def run(argv: list[str], extra: dict[str, str] | None = None, **ports: int) -> tuple[int, str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "IDP_", "API_", "MAKEFLAGS", "MFLAGS"))}
    env.update({name: str(port) for name, port in ports.items()}, **(extra or {}))
    started = time.monotonic()
    process = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate()
        pytest.fail(f"still running after 30 s:\n{output}")
    return process.returncode, output, time.monotonic() - started


LISTENERS = {"http": http_listener, "not http": silent_listener}


@pytest.mark.parametrize("kind", list(LISTENERS))
@pytest.mark.parametrize("taken", ["IDP_PORT", "API_PORT"])
def test_run_dev_fails_fast_naming_the_taken_port(kind, taken):
    with LISTENERS[kind]() as port:
        other = "API_PORT" if taken == "IDP_PORT" else "IDP_PORT"
        status, output, elapsed = run(["scripts/run-dev.sh"], **{taken: port, other: free_port()})
    assert status == 1, output
    assert elapsed < FAST, (elapsed, output)
    assert f"port {port} ({taken}) is already taken" in output and f"make run {taken}=" in output
    assert "Press Ctrl-C" not in output and "[idp]" not in output and "[api]" not in output


def test_make_run_checks_the_ports_before_installing_anything():
    with http_listener() as port:
        status, output, elapsed = run(["make", "--no-print-directory", "run", f"IDP_PORT={port}"])
    assert status != 0 and elapsed < FAST, output
    assert f"port {port} (IDP_PORT) is already taken" in output
    assert "pip install" not in output and "npm ci" not in output


def test_the_same_port_twice_or_not_a_port_is_refused():
    port = free_port()
    status, output, _ = run(["scripts/run-dev.sh", "--check-ports"], IDP_PORT=port, API_PORT=port)
    assert status == 1 and "both" in output
    status, output, _ = run(["scripts/run-dev.sh", "--check-ports"], IDP_PORT=free_port(), API_PORT=0)
    assert status == 1 and "API_PORT" in output and "not a port number" in output


def test_free_ports_pass_the_check():
    status, output, _ = run(["scripts/run-dev.sh", "--check-ports"], IDP_PORT=free_port(), API_PORT=free_port())
    assert status == 0, output


def _dry_run(target: str, venv: str) -> str:
    """What `make <target>` would run for a fresh clone (no virtualenv yet), without running it."""
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", target, f"VENV={venv}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_make_run_installs_the_runtime_only_and_test_adds_the_tools(tmp_path):
    venv = str(tmp_path / "venv")
    run_plan = _dry_run("run", venv)
    assert "pip install -q -r requirements.txt" in run_plan and "requirements-dev.txt" not in run_plan
    for target in ("lint", "test-fast"):
        assert "pip install -q -r requirements-dev.txt" in _dry_run(target, venv)


def test_a_server_that_exits_while_starting_ends_the_wait_at_once(tmp_path):
    """Whatever makes runserver exit (here: a Python that refuses to run it), the script says so in seconds."""
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$1 $2" in\n'
        '  "manage.py runserver") echo "Error: this server cannot start" >&2; exit 1 ;;\n'
        '  "manage.py seed_idp") exit 0 ;;\n'
        "esac\n"
        f'exec {sys.executable} "$@"\n'
    )
    fake.chmod(0o755)
    status, output, elapsed = run(["scripts/run-dev.sh"], {"PY": str(fake)}, IDP_PORT=free_port(), API_PORT=free_port())
    assert status == 1 and elapsed < FAST, (elapsed, output)
    assert "this server cannot start" in output and "did not start" in output
    assert "Press Ctrl-C" not in output
