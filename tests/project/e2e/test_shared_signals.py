"""The dev idp as a Shared Signals transmitter, the API as the receiver: real processes, real HTTP between them.

A logout at the idp, ``manage.py revoke_sessions`` and ``call_api --revoke``
each push a signed CAEP ``session-revoked`` SET to the API's ``/ssf/events``,
which verifies it with the idp's published key and refuses the subject's
older tokens at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import jwt
import pytest
import requests

from tests.project.e2e.helpers import TIMEOUT, client_credentials_token, exchange_code, pkce_pair, query
from tests.project.stack import Server, call_api, free_port, manage, start_api, start_idp
from tests.support.trickle_server import TrickleServer

pytestmark = pytest.mark.slow

BOB_SUB = "88421113"
ALICE_SUB = "818727"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, signing_certs: Path) -> Iterator[tuple[Server, Server]]:
    directory = tmp_path_factory.mktemp("ssf-stack")
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    with start_idp(directory, api_urls=[api_url], certs_dir=signing_certs) as idp:
        # DEBUG: the API logs each refused token's reason.
        env = {"OIDC_ISSUER": idp.url, "API_RESOURCE": api_url, "JWKS_AUTH_LOG_LEVEL": "DEBUG"}
        with start_api(directory, env, port=api_port) as api:
            yield idp, api


@pytest.fixture
def settle() -> Iterator[None]:
    """After a revocation, wait for the next second: tokens (whole-second iat) issued in its second count as older."""
    yield
    time.sleep(1.05 - time.time() % 1)


def me(api: Server, token: str) -> requests.Response:
    return requests.get(f"{api.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)


def client_token(idp: Server) -> str:
    response = client_credentials_token(idp.url)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def assert_revoked(response: requests.Response) -> None:
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def sign_in(idp: Server, api: Server, username: str) -> tuple[requests.Session, dict[str, str]]:
    """Authorization code + PKCE as the browser client does it (without DPoP): the idp session and the tokens."""
    callback = f"{api.url}/client/callback.html"
    verifier, challenge = pkce_pair()
    params = {
        "client_id": "spa",
        "response_type": "code",
        "redirect_uri": callback,
        "scope": "openid profile email api1",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    http = requests.Session()
    response = http.get(f"{idp.url}/connect/authorize", params=params, allow_redirects=False, timeout=TIMEOUT)
    login_url = urljoin(idp.url, response.headers["Location"])
    http.get(login_url, timeout=TIMEOUT)
    response = http.post(
        login_url,
        data={
            "username": username,
            "password": username,
            "csrfmiddlewaretoken": http.cookies["idp_csrftoken"],
            "next": query(login_url)["next"],
        },
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text
    response = http.get(urljoin(idp.url, response.headers["Location"]), allow_redirects=False, timeout=TIMEOUT)
    code = query(response.headers["Location"])["code"]
    response = exchange_code(idp.url, code, callback, verifier)
    assert response.status_code == 200, response.text
    return http, response.json()


def test_the_idp_publishes_its_transmitter_configuration(stack: tuple[Server, Server]) -> None:
    idp, _ = stack
    response = requests.get(f"{idp.url}/.well-known/ssf-configuration", timeout=TIMEOUT)
    assert response.status_code == 200
    configuration = response.json()
    assert configuration["issuer"] == idp.url
    assert configuration["jwks_uri"] == f"{idp.url}/.well-known/openid-configuration/jwks"
    assert configuration["delivery_methods_supported"] == ["urn:ietf:rfc:8935"]


def test_logout_at_the_idp_refuses_the_users_older_tokens(stack: tuple[Server, Server], settle: None) -> None:
    idp, api = stack
    bob_session, bob = sign_in(idp, api, "bob")
    _, alice = sign_in(idp, api, "alice")
    assert me(api, bob["access_token"]).json()["sub"] == BOB_SUB

    # RP-initiated logout: the idp pushes session-revoked for bob before it redirects.
    response = bob_session.get(
        f"{idp.url}/connect/endsession",
        params={"id_token_hint": bob["id_token"], "post_logout_redirect_uri": f"{api.url}/client/"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text
    assert_revoked(me(api, bob["access_token"]))
    assert "Token rejected: signal_revoked" in api.logs()
    # Only bob's: alice's token is still good.
    assert me(api, alice["access_token"]).json()["sub"] == ALICE_SUB
    assert "session-revoked pushed" in idp.logs()


def test_account_logout_pushes_too(stack: tuple[Server, Server], settle: None) -> None:
    idp, api = stack
    http, alice = sign_in(idp, api, "alice")
    assert me(api, alice["access_token"]).status_code == 200
    page = f"{idp.url}/"
    http.get(page, timeout=TIMEOUT)
    response = http.post(
        f"{idp.url}/account/logout/",
        data={"csrfmiddlewaretoken": http.cookies["idp_csrftoken"]},
        headers={"Referer": page},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text
    assert_revoked(me(api, alice["access_token"]))


def test_revoke_sessions_command_refuses_the_clients_token(stack: tuple[Server, Server], settle: None) -> None:
    idp, api = stack
    token = client_token(idp)
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "client"
    assert me(api, token).status_code == 200

    result = manage("idp.settings", idp.env, "revoke_sessions", "--client", "client")
    assert "Sessions of client client revoked" in result.stdout
    assert_revoked(me(api, token))

    # A token issued after the event is accepted.
    time.sleep(1.05 - time.time() % 1)
    assert me(api, client_token(idp)).status_code == 200


def test_call_api_revoke_shows_the_token_refused(stack: tuple[Server, Server], settle: None) -> None:
    idp, api = stack
    result = call_api(idp, api, "--revoke", "--timeout", "10")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"GET {api.url}/me -> HTTP 200" in out
    assert "/connect/revoke-sessions -> HTTP 204" in out
    assert f"GET {api.url}/me with the same token -> HTTP 401" in out
    assert 'error="invalid_token"' in out
    assert out.index("-> HTTP 200") < out.index("-> HTTP 204") < out.index("-> HTTP 401")


def test_revoke_sessions_needs_the_clients_secret(stack: tuple[Server, Server]) -> None:
    idp, _ = stack
    response = requests.post(f"{idp.url}/connect/revoke-sessions", auth=("client", "not-the-secret"), timeout=TIMEOUT)
    assert response.status_code == 401
    assert requests.post(f"{idp.url}/connect/revoke-sessions", timeout=TIMEOUT).status_code == 401


def test_a_push_without_the_shared_secret_is_refused(stack: tuple[Server, Server]) -> None:
    idp, api = stack
    token = client_token(idp)
    env = {**idp.env, "SSF_PUSH_SECRET": "not-the-apis-secret"}
    with pytest.raises(RuntimeError, match="refused: HTTP 400 authentication_failed"):
        manage("idp.settings", env, "revoke_sessions", "--client", "client")
    assert me(api, token).status_code == 200


def test_logout_succeeds_when_the_api_is_down(stack: tuple[Server, Server]) -> None:
    """The push fails (nothing listens), the logout does not: a real logout view in an idp process."""
    idp, _ = stack
    env = {**idp.env, "IDP_SSF_PUSH_URL": f"http://127.0.0.1:{free_port()}/ssf/events"}
    script = (
        "from django.contrib.auth import get_user_model; from django.test import Client; "
        "client = Client(); client.force_login(get_user_model().objects.get(username='bob')); "
        "print('logout', client.post('/account/logout/', headers={'host': 'localhost'}).status_code)"
    )
    result = manage("idp.settings", env, "shell", "-c", script)
    assert "logout 302" in result.stdout
    assert "Shared Signals: push to" in result.stderr and "failed: ConnectionError" in result.stderr


def test_revoke_sessions_authenticates_the_client_as_the_token_endpoint_does(stack: tuple[Server, Server]) -> None:
    """RFC 6749 2.3.1: the id and secret in HTTP Basic are form-urlencoded ("secre%74" is "secret")."""
    idp, _ = stack
    assert client_credentials_token(idp.url, secret="secre%74").status_code == 200
    response = requests.post(f"{idp.url}/connect/revoke-sessions", auth=("client", "secre%74"), timeout=TIMEOUT)
    assert response.status_code == 204, response.text


def test_a_receiver_that_trickles_its_answer_cannot_hold_a_logout(stack: tuple[Server, Server]) -> None:
    """IDP_SSF_PUSH_TIMEOUT bounds the whole push, not each read: a byte every 0.2 s never trips a read timeout."""
    idp, _ = stack
    head = b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
    receiver = TrickleServer(head, b'{"err": "invalid_request", "x": "' + b"y" * 6 + b'"}', pause=0.2)
    try:
        env = {**idp.env, "IDP_SSF_PUSH_URL": receiver.url, "IDP_SSF_PUSH_TIMEOUT": "1"}
        script = "from idp.ssf import revoke_sessions; print('took', revoke_sessions('bob', 'user'))"
        result = manage("idp.settings", env, "shell", "-c", script)
    finally:
        receiver.close()
    assert "took False" in result.stdout, result.stdout + result.stderr
    assert "no answer within 1s" in result.stderr  # not the trickled 400, some 20 seconds later
