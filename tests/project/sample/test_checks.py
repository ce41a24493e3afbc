"""`manage.py check` on the sample's settings: silent on a plain `make run`, and right about the ports."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.project.stack import PYTHON, REPO, base_env

#: Each test starts a manage.py process.
pytestmark = pytest.mark.slow


def check(tmp_path: Path, **env: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", "check"],
        cwd=REPO,
        env=base_env("config.settings", tmp_path / "var", env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_the_dev_stack_starts_without_warnings(tmp_path: Path) -> None:
    """One runserver process, DPoP at the library's default: nothing to warn about (W004 is for DPOP set)."""
    output = check(tmp_path, IDP_PORT="5600", API_PORT="5603")
    assert "System check identified no issues" in output, output


def test_w004_names_the_issuer_of_the_ports_given(tmp_path: Path) -> None:
    output = check(tmp_path, IDP_PORT="5600", OIDC_DPOP="allowed")
    assert "jwks_auth.W004" in output and "http://localhost:5600" in output
    assert "localhost:5000" not in output


def test_an_http_issuer_off_loopback_is_named_before_any_request(tmp_path: Path) -> None:
    output = check(tmp_path, OIDC_ISSUER="http://keycloak:8080/realms/demo")
    assert "jwks_auth.W006" in output and "ALLOW_INSECURE_HTTP" in output
    assert "jwks_auth.W006" not in check(tmp_path, OIDC_ISSUER="http://keycloak:8080/realms/demo", OIDC_ALLOW_HTTP="1")
    output = check(tmp_path, OIDC_ISSUER="keycloak:8080/realms/demo")
    assert "jwks_auth.W006" in output and "'keycloak:8080/realms/demo'" in output
