"""The SPA's DPoP-bound tokens in headless Chromium: "Call API" proves possession, a stolen token is useless."""

from __future__ import annotations

import json
import os

import jwt
import pytest
import requests
from playwright.sync_api import Page, Request, expect

from tests.project.browser.conftest import ALICE, BOB, REPO, SCREENSHOTS, Stack
from tests.project.browser.test_spa import call_api, sign_in, stored_user_key

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY_IN_INDEXEDDB = """async () => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open("oidc");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const names = Array.from(db.objectStoreNames);
  const tx = db.transaction(names[0], "readonly");
  const state = await new Promise((resolve) => { const r = tx.objectStore(names[0]).get("spa"); r.onsuccess = () => resolve(r.result); });
  const key = state.keys.privateKey;
  return { type: key.type, extractable: key.extractable, algorithm: key.algorithm.name, curve: key.algorithm.namedCurve };
}"""  # noqa: E501 - JavaScript source run in the page, kept as written


def _me_request(page: Page, stack: Stack) -> Request:
    with page.expect_request(lambda request: request.url == f"{stack.api_url}/me") as info:
        call_api(page)
    return info.value


def test_call_api_sends_a_dpop_proof_from_a_non_extractable_key(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.api_url}/client/")
    sign_in(page, stack, BOB)
    user = json.loads(page.evaluate("(key) => sessionStorage.getItem(key)", stored_user_key(page)))
    assert user["token_type"] == "DPoP"
    request = _me_request(page, stack)
    expect(page.locator("#result-title")).to_contain_text("→ 200 OK")
    headers = request.all_headers()
    assert headers["authorization"].startswith("DPoP ")
    proof_header = jwt.get_unverified_header(headers["dpop"])
    assert proof_header["typ"] == "dpop+jwt" and proof_header["alg"] == "ES256" and "d" not in proof_header["jwk"]
    result = json.loads(page.locator("#result").text_content())
    assert result["sub"] == BOB[2] and result["cnf"]["jkt"]
    key = page.evaluate(KEY_IN_INDEXEDDB)
    assert key == {"type": "private", "extractable": False, "algorithm": "ECDSA", "curve": "P-256"}
    # A second call signs a new proof: the API accepts each proof once.
    second = _me_request(page, stack)
    expect(page.locator("#result-title")).to_contain_text("→ 200 OK")
    assert second.all_headers()["dpop"] != headers["dpop"]


def test_the_same_token_replayed_without_the_key_is_refused(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.api_url}/client/")
    sign_in(page, stack, BOB)
    request = _me_request(page, stack)
    expect(page.locator("#result-title")).to_contain_text("→ 200 OK")
    headers = request.all_headers()
    token = headers["authorization"].split(" ", 1)[1]
    me = f"{stack.api_url}/me"
    # What a thief who copied the token (and even the proof) off the wire can do with it:
    as_bearer = requests.get(me, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert as_bearer.status_code == 401 and 'error="invalid_token"' in as_bearer.headers["WWW-Authenticate"]
    without_proof = requests.get(me, headers={"Authorization": f"DPoP {token}"}, timeout=10)
    assert without_proof.status_code == 401
    assert 'error="invalid_dpop_proof"' in without_proof.headers["WWW-Authenticate"]
    replayed = requests.get(me, headers={"Authorization": f"DPoP {token}", "DPoP": headers["dpop"]}, timeout=10)
    assert replayed.status_code == 401 and "replayed" in replayed.headers["WWW-Authenticate"]
    # The page, holding the key, still gets in.
    call_api(page)
    expect(page.locator("#result-title")).to_contain_text("→ 200 OK")


def test_the_readme_screenshot_alice_calls_the_api(page: Page, stack: Stack) -> None:
    """The README's picture of the SPA, taken here so that it shows what the SPA does now (DPoP-bound tokens).

    It lands in test-artifacts/screenshots/; with UPDATE_DOCS_SCREENSHOTS=1 it replaces
    docs/screenshots/spa-call-api.png.
    """
    page.set_viewport_size({"width": 1100, "height": 760})
    page.goto(f"{stack.api_url}/client/")
    sign_in(page, stack, ALICE)
    call_api(page)
    expect(page.locator("#result-title")).to_contain_text("→ 200 OK")
    result = json.loads(page.locator("#result").text_content())
    assert result["sub"] == ALICE[2] and result["cnf"]["jkt"]
    target = SCREENSHOTS / "spa-call-api.png"
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots" / "spa-call-api.png"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
