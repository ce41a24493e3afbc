"""Debian's Chromium, driven by Playwright: one browser for the whole test session (tests/project/conftest.py).

Playwright's sync API runs one instance per thread, so the browser tests and the compose tests share it.
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TIMEOUT_MS = 15_000


def missing_dependency(what: str) -> None:
    """Skip on a developer's machine; fail in CI, where `make test` installs everything."""
    if os.environ.get("CI"):
        pytest.fail(what, pytrace=False)
    pytest.skip(what)
