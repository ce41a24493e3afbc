"""RFC 9396 end to end: the dev idp grants authorization_details at its token endpoint, the API checks them.

Real idp and API processes; the console client (``call_api --account``) and plain HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.project.e2e.helpers import TIMEOUT, client_credentials_token, verify
from tests.project.stack import Server, call_api, start_api, start_idp

pytestmark = pytest.mark.slow

READ_DE1 = [{"type": "account_information", "actions": ["read"], "identifier": "DE-1"}]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, signing_certs: Path) -> Iterator[tuple[Server, Server]]:
    directory = tmp_path_factory.mktemp("rar")
    with start_idp(directory, certs_dir=signing_certs) as idp:
        with start_api(directory, {"OIDC_ISSUER": idp.url}) as api:
            yield idp, api


def _token(idp: Server, details: object) -> requests.Response:
    return requests.post(
        f"{idp.url}/connect/token",
        data={"grant_type": "client_credentials", "scope": "api1", "authorization_details": json.dumps(details)},
        auth=("client", "secret"),
        timeout=TIMEOUT,
    )


def _account(api: Server, account: str, token: str) -> requests.Response:
    return requests.get(
        f"{api.url}/accounts/{account}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=TIMEOUT,
    )


def test_a_covered_account_is_200_and_another_403(stack: tuple[Server, Server]) -> None:
    idp, api = stack
    answer = _token(idp, READ_DE1)
    assert answer.status_code == 200, answer.text
    assert answer.json()["authorization_details"] == READ_DE1  # RFC 9396 7
    token = answer.json()["access_token"]
    assert verify(token, idp.url, "api1")["authorization_details"] == READ_DE1
    covered = _account(api, "DE-1", token)
    assert covered.status_code == 200, covered.text
    assert covered.json() == {"account": "DE-1", "authorization_details": READ_DE1}
    other = _account(api, "DE-2", token)
    assert other.status_code == 403
    assert 'error="insufficient_scope"' in other.headers["WWW-Authenticate"]
    plain = client_credentials_token(idp.url).json()["access_token"]  # no details at all
    assert _account(api, "DE-1", plain).status_code == 403


@pytest.mark.parametrize(
    "details",
    [
        {"type": "account_information"},
        [{"type": "wire_transfer"}],
        [{"type": "account_information", "actions": "read"}],
        [],
    ],
)
def test_the_idp_refuses_malformed_or_unknown_details(stack: tuple[Server, Server], details: object) -> None:
    idp, _ = stack
    answer = _token(idp, details)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_authorization_details"


def test_the_metadata_lists_the_types(stack: tuple[Server, Server]) -> None:
    _, api = stack
    document = requests.get(f"{api.url}/.well-known/oauth-protected-resource", timeout=TIMEOUT).json()
    assert document["authorization_details_types_supported"] == ["account_information"]


def test_the_console_client_reads_an_account(stack: tuple[Server, Server]) -> None:
    idp, api = stack
    result = call_api(idp, api, "--account", "DE-1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"GET {api.url}/accounts/DE-1 -> HTTP 200" in result.stdout
    other = json.dumps([{"type": "account_information", "actions": ["read"], "identifier": "DE-2"}])
    refused = call_api(idp, api, "--account", "DE-1", "--authorization-details", other)
    assert refused.returncode != 0
    assert "HTTP 403" in refused.stderr and "insufficient_scope" in refused.stderr
