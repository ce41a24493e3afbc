"""Fixtures shared by the sample project's test packages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.project.chromium import CHROMIUM, CHROMIUM_ARGS, missing_dependency


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
