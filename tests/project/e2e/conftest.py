"""Fixtures for tests that run the real idp and API processes (see tests/project/stack.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project.stack import create_signing_cert


@pytest.fixture(scope="session")
def signing_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One signing key and certificate for the session's idp processes (never the repo's certs/)."""
    directory = tmp_path_factory.mktemp("certs")
    create_signing_cert(directory)
    return directory
