"""Fixtures for the browser tests: the real idp and API as processes, headless Chromium.

One idp + API pair per module (``stack``), one browser per session, a fresh
browser context (cookies, storage) per test. Every test leaves a screenshot of
its final page in test-artifacts/screenshots/<module>--<test>.png.
"""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.project.chromium import TIMEOUT_MS, missing_dependency
from tests.project.stack import LOOPBACK, REPO, Server, create_signing_cert, free_port, start_api, start_idp

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
OIDC_CLIENT_TS = (
    REPO / "client_static" / "node_modules" / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"
)
BOB = ("bob", "bob", "88421113")
ALICE = ("alice", "alice", "818727")


@dataclass
class Stack:
    idp: Server
    api: Server
    other_origin: str  # a page origin in the API's CORS allowlist
    foreign_origin: str  # the same pages on an origin that is not

    @property
    def api_url(self) -> str:
        return self.api.url


class _BlankPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = b"<!doctype html><title>Another origin</title><h1>Another origin</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def browser_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("browser-certs")
    create_signing_cert(directory)
    return directory


@pytest.fixture(scope="session")
def other_site() -> Iterator[int]:
    """A blank page server on another port: a second origin for the CORS checks."""
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), _BlankPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, browser_certs: Path, other_site: int) -> Iterator[Stack]:
    """The dev idp and the API on free ports, the idp seeded with the API's URL."""
    directory = tmp_path_factory.mktemp("browser-stack")
    api_port = free_port()
    api_url = f"http://{LOOPBACK}:{api_port}"
    other_origin = f"http://{LOOPBACK}:{other_site}"
    with start_idp(directory, api_urls=[api_url], certs_dir=browser_certs) as idp:
        api_env = {
            "OIDC_ISSUER": idp.url,
            "API_RESOURCE": api_url,
            "CORS_ALLOWED_ORIGINS": f"{api_url},{other_origin}",
        }
        with start_api(directory, api_env, port=api_port) as api:
            yield Stack(idp, api, other_origin, f"http://localhost:{other_site}")


@pytest.fixture(scope="session")
def browser(chromium: object) -> object:
    """The session's Chromium (tests/project/conftest.py), for pages that need the client's npm packages."""
    if not OIDC_CLIENT_TS.exists():
        missing_dependency("oidc-client-ts is not installed: run `make client-deps` (npm ci in client_static/)")
    return chromium


@pytest.fixture
def context(browser, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1200, "height": 860})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A page in a fresh context; its final state is saved as a screenshot."""
    page = context.new_page()
    yield page
    save_screenshot(page, request.node)


def screenshot_path(node: pytest.Item, suffix: str = "") -> Path:
    module = Path(str(node.fspath)).stem
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", node.name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{module}--{name}{suffix}.png"


def save_screenshot(page, node: pytest.Item, suffix: str = "") -> Path | None:  # type: ignore[no-untyped-def]
    if page.is_closed():
        return None
    path = screenshot_path(node, suffix)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def snapshot(page, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Save an extra screenshot in the middle of a test: snapshot("before-login")."""
    return lambda label: save_screenshot(page, request.node, f"--{label}")


def sign_in_at_idp(page, stack: Stack, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """On the idp's login page (reached through a client's redirect): type and submit."""
    page.wait_for_url(f"{stack.idp.url}/account/login/**")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
