"""The distribution: one version, named in the fetch User-Agent; under nox, the wheel is what runs."""

from __future__ import annotations

import os
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

import jwks_auth
from jwks_auth.conf.settings import DEFAULTS
from jwks_auth.keys.http import fetch_json

DISTRIBUTION = "django-jwks-auth"


def test_the_default_user_agent_names_the_version(provider, jwks_config):
    assert DEFAULTS["HTTP"]["USER_AGENT"] == f"django-jwks-auth/{jwks_auth.__version__} (+django)"
    fetch_json(provider.jwks_uri)
    assert provider.requests[-1][1]["User-Agent"] == DEFAULTS["HTTP"]["USER_AGENT"]


@pytest.mark.skipif(not os.environ.get("JWKS_AUTH_TESTS_INSTALLED"), reason="runs under nox, against the wheel")
def test_the_installed_wheel_is_what_the_suite_imports():
    """noxfile.py sets JWKS_AUTH_TESTS_INSTALLED: the source tree must not shadow the wheel."""
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert Path(jwks_auth.__file__).resolve().is_relative_to(site_packages), jwks_auth.__file__
    assert metadata.version(DISTRIBUTION) == jwks_auth.__version__
    files = {str(f) for f in metadata.files(DISTRIBUTION) or []}
    assert "jwks_auth/py.typed" in files
    assert {name.split("/")[0] for name in files if not name.startswith("django_jwks_auth-")} == {"jwks_auth"}


@pytest.mark.skipif(not os.environ.get("JWKS_AUTH_TESTS_INSTALLED"), reason="runs under nox, against the wheel")
def test_the_wheel_points_to_the_documentation_and_the_source():
    """The PyPI page's sidebar: Project-URL entries of the wheel's metadata ([project.urls])."""
    urls = dict(entry.split(", ", 1) for entry in metadata.metadata(DISTRIBUTION).get_all("Project-URL") or [])
    assert set(urls) >= {"Documentation", "Source", "Changelog", "Issues"}
    assert all(url.startswith("https://") for url in urls.values())
