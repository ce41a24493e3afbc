"""Real TLS-terminating proxies in front of `make serve` (scripts/serve.sh, granian), with real client certificates.

nginx passes ``$ssl_client_escaped_cert`` and ``X-Forwarded-Proto`` /
``X-Forwarded-Host``; HAProxy passes its base64 DER and RFC 7239 ``Forwarded``.
Each connects to the API from 127.0.0.2, the one address in
``PROXY["ADDRESSES"]``, and the API is configured as docs/production.md
("Behind a proxy") says for that proxy. Tokens are RS256 from a loopback JWKS provider,
client certificates are issued by a test CA the proxies verify against.

Envoy is not in Debian's or PyPI's registries reachable here: its
``x-forwarded-client-cert`` format is tested at the header level only
(tests/security/test_dpop.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.project.stack import Server, start_serve
from tests.support import dpop
from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.proxies import PROXY_SOURCE, HAProxy, Nginx, Route, TLSFiles
from tests.support.tls import PrivateCA
from tests.support.tokens import access_claims, mint

pytestmark = pytest.mark.slow

TIMEOUT = 10
#: The API's settings behind each proxy, as docs/production.md ("Behind a proxy") gives them.
API_SETTINGS: dict[str, dict[str, Any]] = {
    "nginx": {"CLIENT_CERT_HEADER": "X-SSL-Client-Cert", "CLIENT_CERT_FORMAT": "escaped-pem"},
    "haproxy": {
        "CLIENT_CERT_HEADER": "X-SSL-Client-Cert",
        "CLIENT_CERT_FORMAT": "base64-der",
        "FORWARDED_HEADERS": ["Forwarded"],
    },
}


@dataclass
class Client:
    """A client certificate and key (PEM paths) issued by the test CA, and the certificate itself."""

    cert: tuple[str, str]
    certificate: Any


@dataclass
class Setup:
    """One proxy in front of its own `make serve`."""

    kind: str
    api: Server
    proxy_url: str
    ca: str
    provider: JWKSProvider
    signing_key: SigningKey
    clients: dict[str, Client]

    def token(self, **claims: Any) -> str:
        return mint(self.signing_key, access_claims(self.provider.issuer, audience="api1", lifetime=600, **claims))

    def get(self, url: str, token: str, *, client: str | None = None, scheme: str = "Bearer", **headers: str) -> Any:
        return requests.get(
            url,
            headers={"Authorization": f"{scheme} {token}", **headers},
            cert=None if client is None else self.clients[client].cert,
            verify=self.ca,
            timeout=TIMEOUT,
        )


def _client(ca: PrivateCA, name: str) -> Client:
    from cryptography import x509

    cert_path, key_path = ca.issue(name)
    return Client((str(cert_path), str(key_path)), x509.load_pem_x509_certificate(cert_path.read_bytes()))


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[PrivateCA, TLSFiles, dict[str, Client]]:
    directory = tmp_path_factory.mktemp("pki")
    ca = PrivateCA(directory)
    server_cert, server_key = ca.issue("127.0.0.1")
    clients = {name: _client(ca, name) for name in ("mine.client.example", "other.client.example")}
    return ca, TLSFiles(server_cert, server_key, ca.ca_path), clients


@pytest.fixture(scope="module")
def provider() -> Iterator[JWKSProvider]:
    jwks = JWKSProvider()
    try:
        yield jwks
    finally:
        jwks.stop()


@pytest.fixture(scope="module", params=["nginx", "haproxy"])
def setup(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pki: tuple[PrivateCA, TLSFiles, dict[str, Client]],
    provider: JWKSProvider,
) -> Iterator[Setup]:
    kind = request.param
    ca, tls, clients = pki
    key = SigningKey.rsa(kid=f"{kind}-key")
    provider.set_keys(key)
    directory = tmp_path_factory.mktemp(kind)
    overrides = {"PROXY": {"ADDRESSES": [PROXY_SOURCE], **API_SETTINGS[kind]}}
    env = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_AUDIENCE": "api1",
        "OIDC_JWKS_URI": provider.jwks_uri,
        "JWKS_AUTH_OVERRIDES": json.dumps(overrides),
    }
    with start_serve(directory, env) as api:
        route = Route(upstream_port=int(api.url.rsplit(":", 1)[1]))
        proxy = Nginx(directory, tls, [route]) if kind == "nginx" else HAProxy(directory, tls, route)
        with proxy:
            yield Setup(kind, api, route.url, str(ca.ca_path), provider, key, clients)
            print(proxy.logs()[-2000:])


def _bound_to(setup: Setup, client: str) -> str:
    return setup.token(cnf={"x5t#S256": dpop.cert_thumbprint(setup.clients[client].certificate)})


def _own_header(setup: Setup, client: str) -> str:
    """The certificate header in this proxy's format, as a client would forge it."""
    certificate = setup.clients[client].certificate
    return dpop.nginx_header(certificate) if setup.kind == "nginx" else dpop.der_b64(certificate)


MINE, OTHER = "mine.client.example", "other.client.example"


def test_a_certificate_bound_token_only_with_its_certificate(setup: Setup) -> None:
    token = _bound_to(setup, MINE)
    me = f"{setup.proxy_url}/me"
    ok = setup.get(me, token, client=MINE)
    assert ok.status_code == 200, (ok.status_code, ok.headers.get("WWW-Authenticate"))
    assert ok.json()["cnf"] == {"x5t#S256": dpop.cert_thumbprint(setup.clients[MINE].certificate)}
    for client in (OTHER, None):
        refused = setup.get(me, token, client=client)
        assert refused.status_code == 401, client
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    # A plain bearer token needs no certificate, through the proxy or not.
    assert setup.get(me, setup.token(), client=None).status_code == 200


def test_a_clients_own_certificate_header_is_not_believed(setup: Setup) -> None:
    token = _bound_to(setup, MINE)
    forged = {"X-SSL-Client-Cert": _own_header(setup, MINE)}
    # Through the proxy: without a certificate its header is removed, with another one it is replaced.
    assert setup.get(f"{setup.proxy_url}/me", token, client=None, **forged).status_code == 401
    assert setup.get(f"{setup.proxy_url}/me", token, client=OTHER, **forged).status_code == 401
    # Straight to the API from 127.0.0.1, which is not a trusted proxy: not believed at all.
    direct = requests.get(
        f"{setup.api.url}/me", headers={"Authorization": f"Bearer {token}", **forged}, timeout=TIMEOUT
    )
    assert direct.status_code == 401


def test_dpop_htu_follows_the_proxys_forwarded_headers(setup: Setup) -> None:
    key = SigningKey.ec(kid="dpop-client")
    token = setup.token(cnf={"jkt": dpop.thumbprint(key)})
    me = f"{setup.proxy_url}/me"

    def call(htu: str, **headers: str) -> Any:
        proof = dpop.make_proof(key, "GET", htu, token=token)
        return setup.get(me, token, scheme="DPoP", DPoP=proof, **headers)

    ok = call(me)  # https://127.0.0.1:<proxy port>/me: the URL the client used
    assert ok.status_code == 200, ok.headers.get("WWW-Authenticate")
    # The URL the proxy used to reach the API is not the client's.
    assert call(f"{setup.api.url}/me").status_code == 401
    # The forwarded header this proxy does not set is the client's: it cannot pick the origin.
    other_header = (
        {"X-Forwarded-Host": "evil.example"} if setup.kind == "haproxy" else {"Forwarded": "host=evil.example"}
    )
    for scheme in ("http", "https"):  # granian saw http: a client's host alone would make http://evil...
        assert call(f"{scheme}://evil.example/me", **other_header).status_code == 401
    assert call(me, **other_header).status_code == 200
    # Nor can it override the header the proxy sets: the proxy replaces it.
    same_header = (
        {"Forwarded": "host=evil.example"} if setup.kind == "haproxy" else {"X-Forwarded-Host": "evil.example"}
    )
    for scheme in ("http", "https"):
        assert call(f"{scheme}://evil.example/me", **same_header).status_code == 401
    assert call(me, **same_header).status_code == 200


@pytest.mark.parametrize("setup", ["haproxy"], indirect=True)  # nginx's proxy_set_header always replaces
def test_a_proxy_that_appends_its_certificate_header_is_refused(
    setup: Setup, pki: tuple[PrivateCA, TLSFiles, dict[str, Client]], tmp_path: Path
) -> None:
    """HAProxy with ``add-header`` (not ``set-header``): the client's copy and the proxy's reach the API."""
    _, tls, _ = pki
    route = Route(upstream_port=int(setup.api.url.rsplit(":", 1)[1]))
    with HAProxy(tmp_path, tls, route, append=True):
        me = f"{route.url}/me"
        victim = _bound_to(setup, MINE)
        # The victim's certificate (public) in the attacker's own header, as a PEM (which base64-der also
        # reads), and the attacker's real one appended by the proxy: the first used to win.
        forged = dpop.nginx_header(setup.clients[MINE].certificate)
        answer = setup.get(me, victim, client=OTHER, **{"X-SSL-Client-Cert": forged})
        assert answer.status_code == 401
        assert 'error_description="more than one client certificate"' in answer.headers["WWW-Authenticate"]
        # Without a header of the client's own the one certificate is read as usual.
        assert setup.get(me, victim, client=MINE).status_code == 200
