"""Fixtures shared by the sample project's test packages, and the testing kit's (jwks_issuer) on its settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.project.chromium import CHROMIUM, CHROMIUM_ARGS, missing_dependency


def pytest_configure(config: pytest.Config) -> None:
    """The kit's plugin: installed from the wheel by its pytest11 entry point, from the source tree registered here."""
    if config.pluginmanager.get_plugin("jwks_auth") is None:
        from jwks_auth.testing import pytest_plugin

        config.pluginmanager.register(pytest_plugin, "jwks_auth")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Headless Chromium for the session (skipped locally, failed under CI, where it is missing)."""
    if not Path(CHROMIUM).exists():
        missing_dependency(f"{CHROMIUM} is missing: run `scripts/install-system-deps.sh chromium` (or `make test`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
