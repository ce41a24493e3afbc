"""The SPA follows an RFC 9470 step-up challenge in headless Chromium: second factor at the idp, then 200."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.project.browser.conftest import BOB, Stack
from tests.project.browser.test_spa import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_spa_steps_up_with_the_second_factor(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.api_url}/client/")
    sign_in(page, stack, BOB)

    # /me takes the password token; /me/step-up sends the client back to the idp.
    page.click("#call-api")
    expect(page.locator("#result-title")).to_contain_text("→ 200 OK")
    page.click("#call-step-up")
    page.wait_for_url(f"{stack.idp.url}/account/second-factor/**")
    page.fill("#id_code", "000000")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_have_text("Wrong code.")
    page.fill("#id_code", "222222")
    page.click("button[type=submit]")

    # Back at the client, which calls the endpoint again with the new token.
    page.wait_for_url(f"{stack.api_url}/client/")
    expect(page.locator("#result-title")).to_contain_text("/me/step-up → 200 OK")
    claims = json.loads(page.locator("#result").text_content() or "{}")
    assert claims["acr"] == "urn:jwks-auth:mfa" and claims["sub"] == BOB[2]
    assert page.evaluate("sessionStorage.getItem('client.step-up-pending')") is None


def test_a_refused_step_up_is_shown_not_looped(page: Page, stack: Stack) -> None:
    """Back from the idp still short of it (here: a token without the second factor), the answer is shown."""
    page.goto(f"{stack.api_url}/client/")
    sign_in(page, stack, BOB)
    page.evaluate("sessionStorage.setItem('client.step-up-pending', clientConfig.step_up_url)")
    page.reload()
    expect(page.locator("#result-title")).to_contain_text("/me/step-up → 401")
    expect(page.locator("#result")).to_contain_text('error="insufficient_user_authentication"')
    expect(page.locator("#result")).to_contain_text('acr_values="urn:jwks-auth:mfa"')
    page.wait_for_timeout(500)
    assert page.url == f"{stack.api_url}/client/"  # not sent to the idp again
    assert page.evaluate("sessionStorage.getItem('client.step-up-pending')") is None
