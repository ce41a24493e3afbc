"""`docker compose up` as the README has it: the repository's Dockerfile and docker-compose.yml, end to end.

What a person following the README checks, through the published ports on free loopback ports: every
service healthy, discovery and JWKS under the published issuer, `/` and `/me`, the console client run inside
compose, the browser client's login and Call API; then a stop in which no service needs SIGKILL, and a
`down` that leaves nothing behind. The tests run in this order on one stack (see conftest.py).
"""

from __future__ import annotations

import json
import re
import shlex

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.project.browser.conftest import BOB
from tests.project.chromium import TIMEOUT_MS
from tests.project.compose.conftest import ComposeStack
from tests.project.stack import REPO

# The first test's time includes bringing the stack up (a cold run builds the base images too).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

TIMEOUT = 10
SIGKILLED = 128 + 9


def test_every_service_is_healthy_and_published_on_loopback_only(compose_stack: ComposeStack) -> None:
    containers = compose_stack.containers()
    assert sorted(containers) == ["api", "idp", "redis"]
    for service, container in containers.items():
        assert compose_stack.inspect(container)["State"]["Health"]["Status"] == "healthy", service
    published = {
        service: compose_stack.engine.docker("port", container).stdout.split()
        for service, container in containers.items()
    }
    assert published["idp"] == ["5000/tcp", "->", f"127.0.0.1:{compose_stack.idp_port}"]
    assert published["api"] == ["5002/tcp", "->", f"127.0.0.1:{compose_stack.api_port}"]
    assert published["redis"] == []


def test_discovery_and_jwks_name_the_published_issuer(compose_stack: ComposeStack) -> None:
    response = requests.get(f"{compose_stack.idp_url}/.well-known/openid-configuration", timeout=TIMEOUT)
    assert response.status_code == 200
    discovery = response.json()
    assert discovery["issuer"] == compose_stack.idp_url
    assert discovery["jwks_uri"] == f"{compose_stack.idp_url}/.well-known/openid-configuration/jwks"
    keys = requests.get(discovery["jwks_uri"], timeout=TIMEOUT).json()["keys"]
    assert keys and all(key["kty"] == "RSA" and "d" not in key for key in keys)


def test_hello_and_me_without_a_token(compose_stack: ComposeStack) -> None:
    hello = requests.get(f"{compose_stack.api_url}/", headers={"Accept": "application/json"}, timeout=TIMEOUT)
    assert hello.status_code == 200 and hello.json() == "Hello"
    me = requests.get(f"{compose_stack.api_url}/me", timeout=TIMEOUT)
    assert me.status_code == 401
    challenge = me.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api"')
    # The resource identifier follows API_PORT (RFC 9728 metadata under the published URL).
    assert f"{compose_stack.api_url}/.well-known/oauth-protected-resource" in challenge


def test_console_client_run_inside_compose_gets_matching_claims(compose_stack: ComposeStack) -> None:
    # The README's console client line, as a person would copy it.
    line = re.search(r"^docker compose (run --rm api .*)$", (REPO / "README.md").read_text(), re.MULTILINE)
    assert line, "the README's compose section lost its console client line"
    assert line.group(1).endswith("call_api --issuer http://idp:5000 --api-url http://api:5002")
    result = compose_stack.compose(*shlex.split(line.group(1)), timeout=180)
    output = result.stdout + result.stderr
    assert '"sub": "client"' in result.stdout
    assert f'"iss": "{compose_stack.idp_url}"' in result.stdout
    assert "GET http://api:5002/me -> HTTP 200" in result.stdout
    assert "The API's claims match the token payload." in result.stdout
    assert "eyJ" not in output  # the raw token is never printed


@pytest.mark.browser
def test_browser_client_signs_in_and_calls_the_api(compose_stack: ComposeStack, chromium: Browser) -> None:
    """Bob signs in and Call API shows his claims, the token DPoP-bound, all through the published ports."""
    username, password, sub = BOB
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{compose_stack.api_url}/client/")
        expect(page.locator("#status")).to_have_text("Not signed in")
        page.click("#login")
        page.wait_for_url(f"{compose_stack.idp_url}/account/login/**")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{compose_stack.api_url}/client/")
        expect(page.locator("#status")).to_contain_text(f"(sub {sub})")
        page.click("#call-api")
        expect(page.locator("#result-title")).to_contain_text("→ 200 OK")
        claims = json.loads(page.locator("#result").text_content() or "{}")
    finally:
        context.close()
    assert claims["sub"] == sub
    assert claims["iss"] == compose_stack.idp_url
    assert claims["client_id"] == "spa"
    assert claims["cnf"]["jkt"]  # DPoP-bound


def test_stop_is_clean_and_down_leaves_nothing(compose_stack: ComposeStack) -> None:
    """Last: every service stops on SIGTERM within its grace period (none is SIGKILLed); down removes everything."""
    containers = compose_stack.containers()
    compose_stack.compose("stop", timeout=120)
    exits = {}
    for service, container in containers.items():
        state = compose_stack.inspect(container)["State"]
        exits[service] = (state["Status"], state["ExitCode"], state["OOMKilled"])
    assert all(status == "exited" for status, _, _ in exits.values()), exits
    # 0: the server exited by itself on SIGTERM; 143 (128 + SIGTERM): docker's init reports the signal.
    assert all(code in (0, 128 + 15) and code != SIGKILLED for _, code, _ in exits.values()), exits
    assert not any(oom for _, _, oom in exits.values()), exits
    compose_stack.down()
    assert compose_stack.leftovers() == []
