"""Interoperability: certificate-bound access tokens (RFC 8705) from node oidc-provider, through real nginx.

One nginx (tests/support/proxies.py) terminates TLS with client certificates
from a test CA for both servers: oidc-provider's token endpoint
(``features.mTLS.tlsClientAuth`` and ``certificateBoundAccessTokens``: the
client authenticates with its certificate, and its tokens carry
``cnf.x5t#S256``) and the API served by `make serve` (scripts/serve.sh,
granian), configured as docs/production.md ("Behind a proxy") says for nginx.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from cryptography import x509

from tests.project.interop.test_oidc_provider import HERE, _node_modules
from tests.project.stack import Server, free_port, start_serve, start_server
from tests.support import dpop
from tests.support.proxies import PROXY_SOURCE, Nginx, Route, TLSFiles
from tests.support.tls import PrivateCA

pytestmark = pytest.mark.slow

TIMEOUT = 10
CLIENT = "interop-mtls.client.example"  # oidc-provider's client is registered with CN=<this>
OTHER = "other.client.example"


@dataclass
class Stack:
    issuer: Server
    api: Server
    token_endpoint: str
    me: str
    ca: str
    certs: dict[str, tuple[str, str]]

    def certificate(self, name: str) -> x509.Certificate:
        return x509.load_pem_x509_certificate(open(self.certs[name][0], "rb").read())

    def token(self, cert: str | None) -> requests.Response:
        return requests.post(
            self.token_endpoint,
            data={"grant_type": "client_credentials", "scope": "api1", "client_id": "interop-mtls"},
            cert=None if cert is None else self.certs[cert],
            verify=self.ca,
            timeout=TIMEOUT,
        )

    def me_with(self, token: str, cert: str | None, **headers: str) -> requests.Response:
        return requests.get(
            self.me,
            headers={"Authorization": f"Bearer {token}", **headers},
            cert=None if cert is None else self.certs[cert],
            verify=self.ca,
            timeout=TIMEOUT,
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _node_modules()
    directory = tmp_path_factory.mktemp("interop-mtls")
    ca = PrivateCA(directory)
    server_cert, server_key = ca.issue("127.0.0.1")
    certs = {name: tuple(map(str, ca.issue(name))) for name in (CLIENT, OTHER)}
    port = free_port()
    node = shutil.which("node") or "node"
    env = {"PORT": str(port), "PATH": "/usr/bin:/bin", "MTLS_PROXY": PROXY_SOURCE, "MTLS_CLIENT_DN": f"CN={CLIENT}"}
    with start_server(
        "oidc-provider", directory, [node, str(HERE / "server.js")], env, port, "/.well-known/openid-configuration"
    ) as issuer:
        overrides = {
            "PROXY": {
                "ADDRESSES": [PROXY_SOURCE],
                "CLIENT_CERT_HEADER": "X-SSL-Client-Cert",
                "CLIENT_CERT_FORMAT": "escaped-pem",
            },
        }
        api_env = {"OIDC_ISSUER": issuer.url, "OIDC_AUDIENCE": "api1", "JWKS_AUTH_OVERRIDES": json.dumps(overrides)}
        with start_serve(directory, api_env) as api:
            to_issuer = Route(upstream_port=port)
            to_api = Route(upstream_port=int(api.url.rsplit(":", 1)[1]))
            with Nginx(directory, TLSFiles(server_cert, server_key, ca.ca_path), [to_issuer, to_api]):
                yield Stack(
                    issuer,
                    api,
                    f"{to_issuer.url}/token",
                    f"{to_api.url}/me",
                    str(ca.ca_path),
                    certs,  # type: ignore[arg-type]
                )


def test_a_certificate_bound_token_is_accepted_with_its_certificate_only(stack: Stack) -> None:
    response = stack.token(CLIENT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    token = body["access_token"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    claims = jwt.decode(token, options={"verify_signature": False})
    # The two implementations agree on RFC 8705's thumbprint of the certificate nginx saw.
    assert claims["cnf"] == {"x5t#S256": dpop.cert_thumbprint(stack.certificate(CLIENT))}

    ok = stack.me_with(token, CLIENT)
    assert ok.status_code == 200, ok.headers.get("WWW-Authenticate")
    assert ok.json()["cnf"] == claims["cnf"] and ok.json()["client_id"] == "interop-mtls"
    for cert in (None, OTHER):
        refused = stack.me_with(token, cert)
        assert refused.status_code == 401, cert
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    # The certificate in a header of the client's own: nginx drops it, and the API straight from
    # 127.0.0.1 (not a trusted proxy) does not believe it.
    forged = {"X-SSL-Client-Cert": dpop.nginx_header(stack.certificate(CLIENT))}
    assert stack.me_with(token, None, **forged).status_code == 401
    direct = requests.get(
        f"{stack.api.url}/me", headers={"Authorization": f"Bearer {token}", **forged}, timeout=TIMEOUT
    )
    assert direct.status_code == 401


@pytest.mark.parametrize("cert", [None, OTHER])
def test_the_issuer_refuses_the_client_without_its_certificate(stack: Stack, cert: Any) -> None:
    response = stack.token(cert)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client", response.text
