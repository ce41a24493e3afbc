"""RFC 9470 step-up end to end: the real dev idp and API processes, a client that follows the challenge.

Bob signs in with his password (``acr`` ``urn:jwks-auth:pwd``); the API's
``/me/step-up`` answers 401 ``insufficient_user_authentication`` with
``acr_values`` and ``max_age``; the client asks the idp again with them, the
idp asks for the second factor, and the new token (``acr``
``urn:jwks-auth:mfa``) is accepted. ``max_age`` alone makes the idp ask for
the password again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.project.e2e.helpers import TIMEOUT, exchange_code, pkce_pair, query, verify
from tests.project.stack import LOOPBACK, Server, free_port, start_api, start_idp
from tests.support.challenges import challenge_params

pytestmark = pytest.mark.slow

MFA = "urn:jwks-auth:mfa"


class Stack:
    def __init__(self, idp: Server, api: Server) -> None:
        self.idp, self.api = idp, api
        self.callback = f"{api.url}/client/callback.html"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, signing_certs: Path) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("step-up")
    api_port = free_port()
    api_url = f"http://{LOOPBACK}:{api_port}"
    with start_idp(directory, api_urls=[api_url], certs_dir=signing_certs) as idp:
        with start_api(directory, {"OIDC_ISSUER": idp.url, "API_RESOURCE": api_url}, port=api_port) as api:
            yield Stack(idp, api)


class Client:
    """A code + PKCE client with a browser's cookie jar at the idp."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http = requests.Session()

    def authorize(self, **extra: str) -> requests.Response:
        self.verifier, challenge = pkce_pair()
        params = {
            "client_id": "spa",
            "response_type": "code",
            "redirect_uri": self.stack.callback,
            "scope": "openid profile email api1",
            "state": "s",
            "nonce": "n",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        url = f"{self.stack.idp.url}/connect/authorize"
        return self.http.get(url, params=params, allow_redirects=False, timeout=TIMEOUT)

    def follow(self, response: requests.Response) -> requests.Response:
        assert response.status_code == 302, response.text
        return self.http.get(self.at(response), allow_redirects=False, timeout=TIMEOUT)

    def at(self, response: requests.Response) -> str:
        return urljoin(self.stack.idp.url, response.headers["Location"])

    def post_form(self, url: str, **fields: str) -> requests.Response:
        self.http.get(url, timeout=TIMEOUT)
        data = {"csrfmiddlewaretoken": self.http.cookies["idp_csrftoken"], "next": query(url).get("next", ""), **fields}
        return self.http.post(url, data=data, headers={"Referer": url}, allow_redirects=False, timeout=TIMEOUT)

    def token(self, response: requests.Response) -> str:
        """The access token for the code in the redirect to the callback."""
        location = response.headers["Location"]
        assert location.startswith(self.stack.callback + "?"), location
        answer = exchange_code(self.stack.idp.url, query(location)["code"], self.stack.callback, self.verifier)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def call(self, token: str) -> requests.Response:
        return requests.get(
            f"{self.stack.api.url}/me/step-up",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )


def _password_sign_in(client: Client, **extra: str) -> str:
    login = client.authorize(**extra)
    assert client.at(login).startswith(f"{client.stack.idp.url}/account/login/")
    signed_in = client.post_form(client.at(login), username="bob", password="bob")
    return client.token(client.follow(signed_in))


def test_the_client_follows_the_challenge_to_the_second_factor(stack: Stack) -> None:
    client = Client(stack)
    token = _password_sign_in(client)
    claims = verify(token, stack.idp.url, audience="api1")
    assert claims["acr"] == "urn:jwks-auth:pwd" and abs(claims["auth_time"] - time.time()) < 60

    refused = client.call(token)
    assert refused.status_code == 401
    params = challenge_params(refused.headers["WWW-Authenticate"])
    assert params["error"] == "insufficient_user_authentication"
    assert (params["acr_values"], params["max_age"]) == (MFA, "600")
    assert client.call(token).status_code == 401  # the same token, the same answer

    # Back to the idp with what the API asked for: signed in already, so only the second factor.
    asked = client.authorize(acr_values=params["acr_values"], max_age=params["max_age"])
    factor_url = client.at(asked)
    assert factor_url.startswith(f"{stack.idp.url}/account/second-factor/")
    wrong = client.post_form(factor_url, code="000000")
    assert wrong.status_code == 400 and "Wrong code" in wrong.text
    passed = client.post_form(factor_url, code="222222")
    strong = client.token(client.follow(passed))
    claims = verify(strong, stack.idp.url, audience="api1")
    assert claims["acr"] == MFA and abs(claims["auth_time"] - time.time()) < 60

    accepted = client.call(strong)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["acr"] == MFA
    # /me needs no step-up: the password token still works there.
    plain = requests.get(f"{stack.api.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert plain.status_code == 200


def test_max_age_makes_the_idp_ask_for_the_password_again(stack: Stack) -> None:
    client = Client(stack)
    _password_sign_in(client)
    time.sleep(1.1)
    again = client.authorize(max_age="0")
    login_url = client.at(again)
    assert login_url.startswith(f"{stack.idp.url}/account/login/")
    assert "max_age" not in query(login_url)["next"]  # resumed without it: no loop
    token = client.token(client.follow(client.post_form(login_url, username="bob", password="bob")))
    assert abs(verify(token, stack.idp.url, audience="api1")["auth_time"] - time.time()) < 5


def test_a_new_password_login_forgets_the_second_factor(stack: Stack) -> None:
    client = Client(stack)
    _password_sign_in(client)
    passed = client.post_form(client.at(client.authorize(acr_values=MFA)), code="222222")
    assert verify(client.token(client.follow(passed)), stack.idp.url, "api1")["acr"] == MFA
    fresh = Client(stack)  # another browser: a password login only
    token = _password_sign_in(fresh)
    assert verify(token, stack.idp.url, "api1")["acr"] == "urn:jwks-auth:pwd"
    assert fresh.call(token).status_code == 401


def test_the_second_factor_page_follows_only_the_authorization_endpoint(stack: Stack) -> None:
    client = Client(stack)
    _password_sign_in(client)
    url = f"{stack.idp.url}/account/second-factor/?next=https://evil.example/connect/authorize"
    assert client.post_form(url, code="222222").status_code == 400
