"""Interoperability: DPoP-bound at+jwt tokens from node oidc-provider (npm, pinned in package.json).

oidc-provider runs on a free loopback port with its defaults plus client
credentials and JWT access tokens for one resource (server.js); the API is
configured by environment variables only. Its tokens, with proofs from this
test, go through ``/me``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests

from tests.project.stack import Server, free_port, start_api, start_server
from tests.support import dpop
from tests.support.keys import SigningKey

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent / "oidc-provider"
TIMEOUT = 10


def _node_modules() -> None:
    """``make test`` installs them (npm ci); a bare pytest run does the same once."""
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is needed for the oidc-provider interoperability test (scripts/install-system-deps.sh node)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True, timeout=300)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    _node_modules()
    directory = tmp_path_factory.mktemp("interop")
    port = free_port()
    node = shutil.which("node") or "node"
    with start_server(
        "oidc-provider",
        directory,
        [node, str(HERE / "server.js")],
        {"PORT": str(port), "PATH": "/usr/bin:/bin"},
        port,
        "/.well-known/openid-configuration",
    ) as issuer:
        env = {"OIDC_ISSUER": issuer.url, "OIDC_AUDIENCE": "api1", "API_RESOURCE": "http://127.0.0.1"}
        with start_api(directory, env) as api:
            yield issuer, api


def _token(issuer: Server, key: SigningKey | None) -> requests.Response:
    endpoint = f"{issuer.url}/token"
    headers = {} if key is None else {"DPoP": dpop.make_proof(key, "POST", endpoint)}
    return requests.post(
        endpoint,
        data={"grant_type": "client_credentials", "scope": "api1"},
        auth=("interop", "interop-secret"),
        headers=headers,
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize("kind", ["ec", "ed"])
def test_oidc_provider_dpop_token_with_proofs(servers: tuple[Server, Server], kind: str) -> None:
    issuer, api = servers
    key = SigningKey.ec(kid="c") if kind == "ec" else SigningKey.ed25519(kid="c")
    response = _token(issuer, key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    token = body["access_token"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["cnf"]["jkt"] == dpop.thumbprint(key)  # the two implementations agree on RFC 7638
    url = f"{api.url}/me"
    ok = requests.get(
        url,
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": dpop.make_proof(key, "GET", url, token=token),
            "Accept": "application/json",
        },
        timeout=TIMEOUT,
    )
    assert ok.status_code == 200, ok.headers.get("WWW-Authenticate")
    assert ok.json()["cnf"] == claims["cnf"] and ok.json()["client_id"] == "interop"
    as_bearer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert as_bearer.status_code == 401 and 'error="invalid_token"' in as_bearer.headers["WWW-Authenticate"]


def test_oidc_provider_bearer_token_without_a_proof(servers: tuple[Server, Server]) -> None:
    issuer, api = servers
    response = _token(issuer, None)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"
    token = response.json()["access_token"]
    ok = requests.get(f"{api.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert ok.status_code == 200, ok.headers.get("WWW-Authenticate")
