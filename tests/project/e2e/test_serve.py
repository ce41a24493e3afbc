"""`make serve`'s command (scripts/serve.sh) serves the API like production and stops cleanly.

A real granian with two workers on a free port, keys from a loopback JWKS
provider, real RS256 tokens; SIGTERM as an orchestrator sends it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.project.stack import LOOPBACK, Server, start_serve
from tests.support.jwks_server import JWKSProvider
from tests.support.keys import SigningKey
from tests.support.tokens import access_claims, mint

pytestmark = pytest.mark.slow


@pytest.fixture
def provider() -> Iterator[JWKSProvider]:
    jwks = JWKSProvider()
    try:
        yield jwks
    finally:
        jwks.stop()


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rindex(b")") + 2 :].split()
            if int(fields[2]) == pgid and fields[0] != b"Z":
                members.append(int(entry))
    return members


def _raw_get(url: str, path: bytes, header: bytes) -> bytes:
    """The status line and headers of a GET with ``header`` sent as raw bytes (requests would encode it)."""
    host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"GET "
            + path
            + b" HTTP/1.1\r\nHost: "
            + host.encode()
            + b"\r\n"
            + header
            + b"\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while b"\r\n\r\n" not in answer and len(answer) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer


def _start_serve(tmp_path: Path, provider: JWKSProvider, workers: int = 2) -> Server:
    env = {
        # serve.sh must turn DEBUG off whatever the environment says.
        "DJANGO_DEBUG": "1",
        "OIDC_ISSUER": provider.issuer,
        "OIDC_AUDIENCE": "api1",
        "OIDC_JWKS_URI": provider.jwks_uri,
    }
    return start_serve(tmp_path, env, workers=workers)


def test_serve_answers_like_production_and_stops_on_sigterm(tmp_path: Path, provider: JWKSProvider) -> None:
    key = SigningKey.rsa(kid="serve-key")
    provider.set_keys(key)
    token = mint(key, access_claims(provider.issuer, audience="api1", lifetime=600))
    server = _start_serve(tmp_path, provider)
    try:
        with requests.Session() as session:  # one keep-alive connection for every request
            root = session.get(server.url + "/", timeout=5)
            assert root.status_code == 200 and root.json() == "Hello"
            assert root.headers["server"] == "granian"

            me = session.get(server.url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
            assert me.status_code == 200, me.text
            assert me.json()["sub"] == "88421113"

            anonymous = session.get(server.url + "/me", timeout=5)
            assert anonymous.status_code == 401
            assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")

            other_key = SigningKey.rsa(kid="serve-key", fresh=True)  # same kid, a key the issuer never published
            forged = mint(other_key, access_claims(provider.issuer, audience="api1", lifetime=600))
            assert (
                session.get(server.url + "/me", headers={"Authorization": f"Bearer {forged}"}, timeout=5).status_code
                == 401
            )

            # granian hands Django a header with a non-ASCII byte as an empty value: the token
            # cannot be read, and is refused rather than taken for no token at all.
            assert _raw_get(server.url, b"/", b"Authorization: Bearer " + forged.encode() + b"\xe9").startswith(
                b"HTTP/1.1 401"
            )

            missing = session.get(server.url + "/no-such-page", timeout=5)
            assert missing.status_code == 404
            assert "URLconf" not in missing.text  # DEBUG's 404 page would list the URL patterns

            # granian serves the collected static files itself.
            assert (
                session.get(server.url + "/static/rest_framework/css/bootstrap.min.css", timeout=5).status_code == 200
            )

        pgid = server.process.pid
        assert len(_group_members(pgid)) >= 3  # granian's main process and its two workers
        os.kill(server.process.pid, signal.SIGTERM)
        try:
            returncode = server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail("serve.sh did not stop within 20 s of SIGTERM:\n" + server.logs())
        assert returncode == 0, server.logs()
        deadline = time.monotonic() + 5
        while _group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group_members(pgid) == [], "workers left running after SIGTERM"
        with pytest.raises(OSError), socket.create_connection((LOOPBACK, int(server.url.rsplit(":", 1)[1])), timeout=1):
            pass
        assert "Traceback" not in server.logs()
    finally:
        server.stop(show_log_lines=40)
