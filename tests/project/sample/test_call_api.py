"""The console client's defaults follow IDP_PORT / API_PORT, and a server it cannot reach is named."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.project.stack import PYTHON, REPO, base_env
from tests.support.loopback import free_port

#: Each test starts a manage.py process.
pytestmark = pytest.mark.slow


def call_api(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", "call_api", "--timeout", "2", *args],
        cwd=REPO,
        env=base_env("config.settings", tmp_path / "var", env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unreachable_identity_server_is_named_with_its_port_variable(tmp_path: Path) -> None:
    port = str(free_port())
    result = call_api(tmp_path, {"IDP_PORT": port})
    assert result.returncode == 1
    assert f"Could not reach the identity server at http://localhost:{port} (from IDP_PORT={port})" in result.stderr
    assert "make call-api" in result.stderr and "HTTPConnectionPool" not in result.stderr


def test_the_default_ports_are_said_when_unset(tmp_path: Path) -> None:
    result = subprocess.run(
        [PYTHON, "manage.py", "call_api", "--help"],
        cwd=REPO,
        env=base_env("config.settings", tmp_path / "var", {"IDP_PORT": "5600", "API_PORT": "5603"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "http://localhost:5600 (IDP_PORT=5600)" in result.stdout
    assert "http://localhost:5603 (API_PORT=5603)" in result.stdout


def test_an_explicit_issuer_wins(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = call_api(tmp_path, {"IDP_PORT": "5600"}, "--issuer", url)
    assert result.returncode == 1 and f"at {url} (from --issuer)" in result.stderr
