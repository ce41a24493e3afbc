"""The pytest plugin gives its fixtures only where pytest-django runs, and loading it touches no Django setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_uses_it.py").write_text(
        "def test_it(jwks_issuer):\n"
        "    from jwks_auth.validation.validator import get_validator\n"
        "    assert get_validator().validate(jwks_issuer.token(['a'])).scopes == {'a'}\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # Only the plugins named here (a source tree that built a wheel has the entry point in its egg-info).
    env.update(PYTHONPATH=str(ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *args, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_pytest_django_there_is_no_fixture(tmp_path: Path) -> None:
    run = _pytest(tmp_path, "-p", "jwks_auth.testing.pytest_plugin")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "fixture 'jwks_issuer' not found" in run.stdout


def test_with_pytest_django_the_fixture_starts_the_issuer(tmp_path: Path) -> None:
    # A project that is nothing but settings naming an https issuer: the fixture impersonates it.
    (tmp_path / "kit_settings.py").write_text(
        "SECRET_KEY = 'x'\nINSTALLED_APPS = ['jwks_auth']\n"
        "JWKS_AUTH = {'ISSUER': 'https://idp.example.test', 'AUDIENCE': ['api']}\n"
    )
    run = _pytest(
        tmp_path, "-p", "pytest_django.plugin", "-p", "jwks_auth.testing.pytest_plugin", "--ds", "kit_settings"
    )
    assert run.returncode == 0, run.stdout + run.stderr
