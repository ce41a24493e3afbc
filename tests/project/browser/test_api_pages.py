"""The browsable API and Swagger UI in headless Chromium, signed in through the real idp."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.project.browser.conftest import BOB, Stack, sign_in_at_idp

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_browsable_api_shows_401_then_me_after_login(page: Page, stack: Stack, snapshot) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{stack.api_url}/")
    expect(page.locator(".response-info")).to_contain_text("HTTP 200 OK")
    expect(page.locator(".response-info")).to_contain_text('"Hello"')

    page.goto(f"{stack.api_url}/me")
    response_box = page.locator(".response-info")
    expect(response_box).to_contain_text("HTTP 401 Unauthorized")
    expect(response_box).to_contain_text('WWW-Authenticate: Bearer realm="api"')
    expect(page.locator("#api-auth-status")).to_have_text("Not signed in")
    snapshot("before-login")

    page.click("#api-auth-login")
    sign_in_at_idp(page, stack, BOB[0], BOB[1])
    page.wait_for_url(f"{stack.api_url}/me")  # back where the login started
    expect(page.locator("#api-auth-status")).to_have_text("Signed in as Bob Smith")
    expect(response_box).to_have_attribute("data-authenticated", "true")
    expect(response_box).to_contain_text("HTTP 200 OK")
    expect(response_box).not_to_contain_text("WWW-Authenticate")
    body = response_box.locator("pre").text_content()
    claims = json.loads(body[body.index("{") :])
    assert claims["sub"] == BOB[2]
    assert claims["iss"] == stack.idp.url
    expect(page.locator("#api-auth-login")).to_be_hidden()
    expect(page.locator("#api-auth-logout")).to_be_visible()
    snapshot("after-login")

    # The token is kept for the tab: another page of the browsable API uses it too.
    page.goto(f"{stack.api_url}/me?format=api")
    expect(response_box).to_have_attribute("data-authenticated", "true")

    # Log out ends the idp session and comes back to the API root, signed out.
    page.click("#api-auth-logout")
    page.wait_for_url(f"{stack.api_url}/")
    expect(page.locator("#api-auth-status")).to_have_text("Not signed in")
    expect(page.locator("#api-auth-login")).to_be_visible()


def test_swagger_ui_authorizes_with_pkce_and_tries_me(page: Page, stack: Stack, snapshot) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{stack.api_url}/api/docs/")
    page.click(".auth-wrapper button.authorize")
    code_flow = page.locator(".auth-container", has_text="authorizationCode")
    expect(code_flow.locator("input#client_id_authorizationCode")).to_have_value("spa")
    with page.context.expect_page() as popup_info:
        code_flow.locator("button.authorize").click()
    popup = popup_info.value
    sign_in_at_idp(popup, stack, BOB[0], BOB[1])
    popup.wait_for_event("close")  # oauth2-redirect.html hands the code back and closes
    expect(code_flow.get_by_role("heading", name="Authorized")).to_be_visible()
    expect(code_flow.get_by_role("button", name="Remove authorization")).to_be_visible()
    snapshot("authorized")
    page.click(".modal-ux button.btn-done")

    operation = page.locator("#operations-me-me_retrieve")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    response = operation.locator(".live-responses-table tbody .response").first
    expect(response.locator(".response-col_status")).to_have_text("200")
    expect(response).to_contain_text('"sub": "88421113"')
    expect(operation.locator(".curl")).to_contain_text("Authorization: Bearer ")
