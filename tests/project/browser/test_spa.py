"""The SPA at /client/ in headless Chromium against the real idp and API processes."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.project.browser.conftest import ALICE, BOB, Stack, sign_in_at_idp
from tests.project.e2e.helpers import client_credentials_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sign_in(page: Page, stack: Stack, user: tuple[str, str, str]) -> None:
    """From /client/: Log in, sign in at the idp, come back signed in."""
    username, password, sub = user
    page.click("#login")
    sign_in_at_idp(page, stack, username, password)
    page.wait_for_url(f"{stack.api_url}/client/")
    expect(page.locator("#status")).to_contain_text(f"(sub {sub})")


def call_api(page: Page) -> None:
    page.click("#call-api")
    expect(page.locator("#result")).not_to_have_attribute("data-state", "empty")


def stored_user_key(page: Page) -> str:
    return page.evaluate("Object.keys(sessionStorage).find((key) => key.startsWith('spa.user:'))")


# The SPA's access token and two fresh DPoP proofs for GET /me, signed by its non-extractable key (app.js's mgr).
GRAB_TOKEN_AND_PROOFS = """async () => {
  const user = await mgr.getUser();
  const url = clientConfig.api_url;
  return [url, user.access_token, [await mgr.dpopProof(url, user, "GET"), await mgr.dpopProof(url, user, "GET")]];
}"""


def me_with_proof(url: str, token: str, proof: str) -> requests.Response:
    return requests.get(url, headers={"Authorization": f"DPoP {token}", "DPoP": proof}, timeout=10)


def test_bob_calls_the_api_logs_out_and_alice_signs_in(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.api_url}/client/")
    expect(page.locator("#status")).to_have_text("Not signed in")

    sign_in(page, stack, BOB)
    expect(page.locator("#status")).to_contain_text("Signed in as Bob Smith")
    page.click("#profile")
    expect(page.locator("#result")).to_contain_text('"email": "BobSmith@email.com"')
    call_api(page)
    expect(page.locator("#result-title")).to_contain_text("→ 200 OK")
    result = json.loads(page.locator("#result").text_content())
    assert result["sub"] == BOB[2]
    assert result["client_id"] == "spa"
    assert "api1" in (result["scope"] if isinstance(result["scope"], list) else result["scope"].split())

    # Keep bob's DPoP-bound token, with two proofs from the page's key for GET /me: it works from outside ...
    me_url, token, proofs = page.evaluate(GRAB_TOKEN_AND_PROOFS)
    assert me_with_proof(me_url, token, proofs[0]).status_code == 200

    # Log out ends the session at the idp and comes back to /client/ ...
    page.click("#logout")
    page.wait_for_url(f"{stack.api_url}/client/")
    expect(page.locator("#status")).to_have_text("Not signed in")
    assert stored_user_key(page) is None
    # ... the idp pushed session-revoked (Shared Signals) on the way: the API refuses bob's old token at once ...
    refused = me_with_proof(me_url, token, proofs[1])
    assert refused.status_code == 401, refused.text
    assert 'DPoP error="invalid_token"' in refused.headers["WWW-Authenticate"]
    # (a token bob gets in the logout's second would count as older: tests that sign bob in come later)
    time.sleep(1.05 - time.time() % 1)

    # ... so the next Log in asks for a password again.
    sign_in(page, stack, ALICE)
    expect(page.locator("#status")).to_contain_text("Signed in as Alice Smith")
    call_api(page)
    assert json.loads(page.locator("#result").text_content())["sub"] == ALICE[2]


def test_call_api_without_signing_in_shows_the_challenge(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.api_url}/client/")
    call_api(page)
    expect(page.locator("#result-title")).to_contain_text("→ 401 Unauthorized")
    expect(page.locator("#result")).to_contain_text('WWW-Authenticate: Bearer realm="api"')


def test_tampered_token_gets_401_with_invalid_token_challenge(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.api_url}/client/")
    sign_in(page, stack, BOB)

    # Claim to be alice: the payload changes, the signature no longer matches.
    key = stored_user_key(page)
    user = json.loads(page.evaluate("(key) => sessionStorage.getItem(key)", key))
    header, payload, signature = user["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = ALICE[2]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    user["access_token"] = f"{header}.{forged}.{signature}"
    page.evaluate("([key, value]) => sessionStorage.setItem(key, value)", [key, json.dumps(user)])

    call_api(page)
    expect(page.locator("#result-title")).to_contain_text("→ 401 Unauthorized")
    result = page.locator("#result")
    expect(result).to_have_attribute("data-state", "error")
    # The SPA's token is DPoP-bound: the error is on the DPoP challenge (RFC 9449 7.1).
    expect(result).to_contain_text('DPoP error="invalid_token"')


def test_wrong_password_stays_on_the_login_page(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.api_url}/client/")
    page.click("#login")
    sign_in_at_idp(page, stack, "bob", "not-bobs-password")
    expect(page.locator(".error[role=alert]")).to_have_text("Invalid username or password.")
    assert page.url.startswith(f"{stack.idp.url}/account/login/")
    expect(page.locator("#id_username")).to_have_value("bob")
    expect(page.locator("#id_password")).to_have_value("")


def test_token_is_renewed_silently_before_it_expires(page: Page, stack: Stack) -> None:
    # A fake clock lets the test jump to one minute before expiry (tokens last 300 s).
    page.clock.install()
    page.goto(f"{stack.api_url}/client/")
    sign_in(page, stack, BOB)
    key = stored_user_key(page)
    first = json.loads(page.evaluate("(key) => sessionStorage.getItem(key)", key))

    assert first["expires_at"] - page.evaluate("Date.now() / 1000") > 250
    page.clock.fast_forward("04:05")  # 55 s left: within the 60 s renewal window
    expect(page.locator("#log li").first).to_contain_text("Token renewed silently")
    renewed = json.loads(page.evaluate("(key) => sessionStorage.getItem(key)", key))
    assert renewed["access_token"] != first["access_token"]
    assert renewed["refresh_token"] != first["refresh_token"]  # the idp rotates refresh tokens

    # Back to the real time: the API refuses DPoP proofs dated more than a few seconds ahead
    # (the idp tolerates 300 s either way, as node oidc-provider does).
    page.clock.set_system_time(time.time())
    call_api(page)
    expect(page.locator("#result-title")).to_contain_text("→ 200 OK")
    assert json.loads(page.locator("#result").text_content())["sub"] == BOB[2]

    # Without a refresh token, renewal goes through a hidden iframe
    # (prompt=none, the idp's session cookie) to /client/silent-renew.html.
    del renewed["refresh_token"]
    page.evaluate("([key, value]) => sessionStorage.setItem(key, value)", [key, json.dumps(renewed)])
    with page.expect_request(lambda request: "/client/silent-renew.html?code=" in request.url):
        page.click("#renew")
    expect(page.locator("#log li", has_text="Token renewed silently")).to_have_count(2)
    third = json.loads(page.evaluate("(key) => sessionStorage.getItem(key)", key))
    assert third["access_token"] != renewed["access_token"]


# --- CORS, as a browser enforces it -----------------------------------------

FETCH_ME = """async ([url, token]) => {
  try {
    const response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return { status: response.status, challenge: response.headers.get("WWW-Authenticate"), body: await response.text() };
  } catch (error) {
    return { error: String(error) };
  }
}"""  # noqa: E501 - JavaScript source run in the page, kept as written


@pytest.fixture
def api_token(stack: Stack) -> str:
    response = client_credentials_token(stack.idp.url)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_cors_allowed_origin_calls_the_api_with_a_bearer_token(page: Page, stack: Stack, api_token: str) -> None:
    page.goto(f"{stack.other_origin}/")
    me = f"{stack.api_url}/me"
    # Authorization makes the request non-simple: the browser preflights it without a token.
    answer = page.evaluate(FETCH_ME, [me, api_token])
    assert answer.get("status") == 200, answer
    assert json.loads(answer["body"])["client_id"] == "client"
    # WWW-Authenticate is readable cross-origin: the API exposes it.
    answer = page.evaluate(FETCH_ME, [me, "not-a-jwt"])
    assert answer["status"] == 401
    assert answer["challenge"].startswith('Bearer realm="api", error="invalid_token"')
    page.set_content(f"<h1>Allowed origin {stack.other_origin}</h1><pre>{answer['challenge']}</pre>")


def test_cors_other_origin_is_refused_by_the_browser(page: Page, stack: Stack, api_token: str) -> None:
    page.goto(f"{stack.foreign_origin}/")
    answer = page.evaluate(FETCH_ME, [f"{stack.api_url}/me", api_token])
    assert answer == {"error": "TypeError: Failed to fetch"}
    # The preflight itself was answered, without any CORS header.
    preflight = requests.options(
        f"{stack.api_url}/me",
        headers={
            "Origin": stack.foreign_origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=10,
    )
    assert not [name for name in preflight.headers if name.lower().startswith("access-control-")]
    page.set_content(f"<h1>Refused origin {stack.foreign_origin}</h1><pre>{answer['error']}</pre>")
