"""The whole sample as real processes: the dev idp issues a token, the API verifies it with the JWKS."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.project.e2e.helpers import TIMEOUT, client_credentials_token
from tests.project.stack import PYTHON, REPO, Server, base_env, call_api, free_port, start_api, start_idp
from tests.support import dpop as dpop_support

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, signing_certs: Path) -> Iterator[tuple[Server, Server]]:
    directory = tmp_path_factory.mktemp("stack")
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    with start_idp(directory, api_urls=[api_url], certs_dir=signing_certs) as idp:
        env = {"OIDC_ISSUER": idp.url, "OIDC_AUDIENCE": "api1", "API_RESOURCE": api_url}
        with start_api(directory, env, port=api_port) as api:
            yield idp, api


@pytest.fixture
def token(stack: tuple[Server, Server]) -> str:
    response = client_credentials_token(stack[0].url)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_me_returns_the_token_claims(stack: tuple[Server, Server], token: str) -> None:
    _, api = stack
    response = requests.get(f"{api.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.json() == jwt.decode(token, options={"verify_signature": False})


def test_me_without_a_token_is_a_bearer_challenge(stack: tuple[Server, Server]) -> None:
    _, api = stack
    response = requests.get(f"{api.url}/me", timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api"')


def test_me_with_a_tampered_token_is_invalid_token(stack: tuple[Server, Server], token: str) -> None:
    _, api = stack
    header, payload, signature = token.split(".")
    # Flip one character in the middle of the signature (the last one may only carry padding bits).
    middle = len(signature) // 2
    tampered = ".".join(
        [header, payload, signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]]
    )
    response = requests.get(f"{api.url}/me", headers={"Authorization": f"Bearer {tampered}"}, timeout=TIMEOUT)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_console_client_prints_matching_claims(stack: tuple[Server, Server]) -> None:
    idp, api = stack
    result = call_api(idp, api)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"typ": "at+jwt"' in result.stdout
    assert '"sub": "client"' in result.stdout
    assert f"GET {api.url}/me -> HTTP 200" in result.stdout
    assert "The API's claims match the token payload." in result.stdout
    assert "eyJ" not in result.stdout + result.stderr  # the raw token is never printed


def test_console_client_fails_with_a_wrong_secret(stack: tuple[Server, Server]) -> None:
    idp, api = stack
    result = call_api(idp, api, "--client-secret", "wrong")
    assert result.returncode != 0
    assert "invalid_client" in result.stderr
    assert "wrong" not in result.stdout + result.stderr  # nor the secret


def test_console_client_fails_when_the_api_is_unreachable(stack: tuple[Server, Server]) -> None:
    idp, api = stack
    down = f"http://127.0.0.1:{free_port()}"
    result = call_api(idp, api, "--api-url", down, "--timeout", "2")
    assert result.returncode != 0
    assert f"Could not reach the API at {down} (from --api-url)" in result.stderr
    assert "Traceback" not in result.stderr and "HTTPConnectionPool" not in result.stderr


def test_console_client_follows_idp_port_and_api_port(stack: tuple[Server, Server]) -> None:
    """`make run IDP_PORT=... API_PORT=...` then the README's literal `call_api`: the same ports, no flags."""
    idp, api = stack
    ports = {"IDP_PORT": idp.url.rsplit(":", 1)[1], "API_PORT": api.url.rsplit(":", 1)[1]}
    result = subprocess.run(
        [PYTHON, "manage.py", "call_api"],
        cwd=REPO,
        env=base_env("config.settings", Path(api.env["VAR_DIR"]), ports),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"GET http://localhost:{ports['API_PORT']}/me -> HTTP 200" in result.stdout


def test_the_sample_is_ready_and_counts_tokens(stack: tuple[Server, Server], token: str) -> None:
    _, api = stack
    assert requests.get(f"{api.url}/livez", timeout=TIMEOUT).status_code == 200
    ready = requests.get(f"{api.url}/readyz", timeout=TIMEOUT)
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    assert (
        requests.get(f"{api.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT).status_code == 200
    )
    metrics = requests.get(f"{api.url}/metrics", timeout=TIMEOUT)
    assert metrics.status_code == 200
    assert 'jwks_auth_tokens_total{issuer="' in metrics.text and 'result="accepted"' in metrics.text
    assert token not in metrics.text


def test_the_sample_is_not_ready_without_its_identity_server(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    env = {"OIDC_ISSUER": f"http://127.0.0.1:{port}", "OIDC_AUDIENCE": "api1", "API_RESOURCE": "http://127.0.0.1"}
    with start_api(tmp_path, env) as api:
        ready = requests.get(f"{api.url}/readyz", timeout=TIMEOUT)
        assert ready.status_code == 503
        assert ready.json()["issuers"][f"http://127.0.0.1:{port}"]["reason"] == "keys_unavailable"
        assert requests.get(f"{api.url}/livez", timeout=TIMEOUT).status_code == 200


# --- DPoP (RFC 9449): the dev idp binds tokens to proofs, the API checks them ----


def _dpop_token(idp_url: str, key: Any) -> requests.Response:
    endpoint = f"{idp_url}/connect/token"
    return requests.post(
        endpoint,
        data={"grant_type": "client_credentials", "scope": "api1"},
        auth=("client", "secret"),
        headers={"DPoP": dpop_support.make_proof(key, "POST", endpoint)},
        timeout=TIMEOUT,
    )


def test_idp_binds_a_client_credentials_token_to_the_proof_key(stack: tuple[Server, Server]) -> None:
    idp, api = stack
    key = dpop_support.SigningKey.ec(kid="cli")
    response = _dpop_token(idp.url, key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    token = body["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["cnf"] == {"jkt": dpop_support.thumbprint(key)}
    url = f"{api.url}/me"
    ok = requests.get(
        url,
        headers={"Authorization": f"DPoP {token}", "DPoP": dpop_support.make_proof(key, "GET", url, token=token)},
        timeout=TIMEOUT,
    )
    assert ok.status_code == 200, ok.headers.get("WWW-Authenticate")
    # Stolen: as Bearer, or with a proof from another key, it is refused.
    as_bearer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert as_bearer.status_code == 401 and 'error="invalid_token"' in as_bearer.headers["WWW-Authenticate"]
    thief = dpop_support.SigningKey.ec(kid="thief")
    stolen = requests.get(
        url,
        headers={"Authorization": f"DPoP {token}", "DPoP": dpop_support.make_proof(thief, "GET", url, token=token)},
        timeout=TIMEOUT,
    )
    assert stolen.status_code == 401 and 'error="invalid_dpop_proof"' in stolen.headers["WWW-Authenticate"]


def test_idp_refuses_a_bad_or_replayed_proof(stack: tuple[Server, Server]) -> None:
    idp, _ = stack
    key = dpop_support.SigningKey.ec(kid="cli")
    endpoint = f"{idp.url}/connect/token"
    proof = dpop_support.make_proof(key, "POST", endpoint)
    form = {"grant_type": "client_credentials", "scope": "api1"}
    first = requests.post(endpoint, data=form, auth=("client", "secret"), headers={"DPoP": proof}, timeout=TIMEOUT)
    assert first.status_code == 200
    again = requests.post(endpoint, data=form, auth=("client", "secret"), headers={"DPoP": proof}, timeout=TIMEOUT)
    assert again.status_code == 400 and again.json()["error"] == "invalid_dpop_proof"
    wrong_url = dpop_support.make_proof(key, "POST", f"{idp.url}/connect/other")
    bad = requests.post(endpoint, data=form, auth=("client", "secret"), headers={"DPoP": wrong_url}, timeout=TIMEOUT)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_dpop_proof"


def test_console_client_with_dpop(stack: tuple[Server, Server]) -> None:
    idp, api = stack
    result = call_api(idp, api, "--dpop")
    assert result.returncode == 0, result.stdout + result.stderr
    thumbprint = result.stdout.split("DPoP key thumbprint (RFC 7638): ")[1].split()[0]
    assert f'"jkt": "{thumbprint}"' in result.stdout
    assert "Got a DPoP token" in result.stdout and f"GET {api.url}/me -> HTTP 200" in result.stdout
    assert "The API's claims match the token payload." in result.stdout
    assert "eyJ" not in result.stdout + result.stderr
