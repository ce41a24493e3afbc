"""The package alone behind real TLS-terminating proxies: nginx and HAProxy in front of gunicorn (tests.wsgi).

The sample project's `make serve` gets the same proxies in
tests/project/proxies; this runs in the matrix, against the installed wheel.
The proxies verify client certificates issued by a test CA and reach gunicorn
from 127.0.0.2, the one address in ``PROXY["ADDRESSES"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509

from tests.support import dpop
from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.processes import Gunicorn, api_env
from tests.support.proxies import PROXY_SOURCE, HAProxy, Nginx, Route, TLSFiles
from tests.support.tls import PrivateCA

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

TIMEOUT = 10
MINE, OTHER = "mine.client.example", "other.client.example"


@pytest.fixture
def pki(tmp_path: Path) -> tuple[TLSFiles, dict[str, tuple[str, str]]]:
    (tmp_path / "pki").mkdir()
    ca = PrivateCA(tmp_path / "pki")
    certificate, key = ca.issue("127.0.0.1")
    clients = {name: tuple(map(str, ca.issue(name))) for name in (MINE, OTHER)}
    return TLSFiles(certificate, key, ca.ca_path), clients  # type: ignore[return-value]


@pytest.fixture
def gunicorn(tmp_path: Path, provider: JWKSProvider) -> Iterator[Any]:
    def start(**overrides: Any) -> Gunicorn:
        env = api_env(
            provider.issuer,
            tmp_path / "var",
            None,
            {**overrides, "PROXY": {"ADDRESSES": [PROXY_SOURCE], **overrides.get("PROXY", {})}},
        )
        server = Gunicorn(env, tmp_path / "gunicorn", workers=1)
        started.append(server)
        return server.start()

    started: list[Gunicorn] = []
    yield start
    for server in started:
        server.stop()


def _thumbprint(clients: dict[str, tuple[str, str]], name: str) -> str:
    return dpop.cert_thumbprint(x509.load_pem_x509_certificate(Path(clients[name][0]).read_bytes()))


def test_behind_nginx(
    tmp_path: Path, pki: tuple[TLSFiles, dict[str, tuple[str, str]]], gunicorn: Any, make_token: Any
) -> None:
    tls, clients = pki
    api = gunicorn(PROXY={"CLIENT_CERT_HEADER": "X-SSL-Client-Cert", "CLIENT_CERT_FORMAT": "escaped-pem"})
    route = Route(upstream_port=api.port)
    with Nginx(tmp_path / "nginx", tls, [route]):
        me = f"{route.url}/me"

        def get(token: str, cert: str | None, scheme: str = "Bearer", **headers: str) -> int:
            response = requests.get(
                me,
                headers={"Authorization": f"{scheme} {token}", **headers},
                cert=None if cert is None else clients[cert],
                verify=str(tls.ca),
                timeout=TIMEOUT,
            )
            return response.status_code

        bound = make_token(cnf={"x5t#S256": _thumbprint(clients, MINE)})
        assert [get(bound, MINE), get(bound, OTHER), get(bound, None)] == [200, 401, 401]
        assert get(bound, None, **{"X-SSL-Client-Cert": "forged"}) == 401
        key = SigningKey.ec(kid="dpop-client")
        token = make_token(cnf={"jkt": dpop.thumbprint(key)})
        for htu, extra, status in [
            (me, {}, 200),  # the URL the client used, from nginx's X-Forwarded-Proto and X-Forwarded-Host
            (f"{api.url}/me", {}, 401),
            # Forwarded is not a header nginx sets: the client's own, passed on, is not believed.
            ("http://evil.example/me", {"Forwarded": "host=evil.example"}, 401),
            ("https://evil.example/me", {"Forwarded": "host=evil.example"}, 401),
            (me, {"Forwarded": "host=evil.example"}, 200),
        ]:
            proof = dpop.make_proof(key, "GET", htu, token=token)
            assert get(token, None, scheme="DPoP", DPoP=proof, **extra) == status, htu


def test_behind_an_haproxy_that_appends_its_header(
    tmp_path: Path, pki: tuple[TLSFiles, dict[str, tuple[str, str]]], gunicorn: Any, make_token: Any
) -> None:
    tls, clients = pki
    api = gunicorn(PROXY={"CLIENT_CERT_HEADER": "X-SSL-Client-Cert", "CLIENT_CERT_FORMAT": "base64-der"})
    route = Route(upstream_port=api.port)
    with HAProxy(tmp_path / "haproxy", tls, route, append=True):
        bound = make_token(cnf={"x5t#S256": _thumbprint(clients, MINE)})
        victim_pem = dpop.nginx_header(x509.load_pem_x509_certificate(Path(clients[MINE][0]).read_bytes()))
        answer = requests.get(
            f"{route.url}/me",
            headers={"Authorization": f"Bearer {bound}", "X-SSL-Client-Cert": victim_pem},
            cert=clients[OTHER],
            verify=str(tls.ca),
            timeout=TIMEOUT,
        )
        assert answer.status_code == 401
        assert 'error_description="more than one client certificate"' in answer.headers["WWW-Authenticate"]
        ok = requests.get(
            f"{route.url}/me",
            headers={"Authorization": f"Bearer {bound}"},
            cert=clients[MINE],
            verify=str(tls.ca),
            timeout=TIMEOUT,
        )
        assert ok.status_code == 200
