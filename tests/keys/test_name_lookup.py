"""The name lookup of a key fetch is bounded too: a resolver that never answers costs the connect timeout.

``getaddrinfo`` takes no timeout, and the resolver's own (``timeout × attempts``
per name server, for A and AAAA) runs to tens of seconds. These fetches run in
a child process with its own mount namespace, whose ``/etc/resolv.conf`` names
a real DNS server of the test's on a loopback address: the lookup goes through
the C library's resolver as in production, and nothing else on the machine is
touched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jwks_auth.keys.deadline import MAX_PENDING_LOOKUPS
from tests.support.dns_server import DNSServer
from tests.support.jwks_server import JWKS_PATH, JWKSProvider
from tests.support.keys import SigningKey
from tests.support.tls import PrivateCA, TLSJWKSServer

REPO = Path(__file__).resolve().parents[2]
RESOLVER_TIMEOUT = 8  # what one unanswered lookup costs without the bound (per query type)


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _namespaces_work(), reason="needs root and unshare(1) for a mount namespace")


@pytest.fixture
def dns() -> Iterator[DNSServer]:
    with DNSServer() as server:
        yield server


def fetch_in_namespace(dns: DNSServer, tmp_path: Path, spec: dict[str, Any]) -> list[dict[str, Any]]:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(dns.resolv_conf(RESOLVER_TIMEOUT))
    script = 'mount --bind "$1" /etc/resolv.conf && exec "$2" -m tests.keys.lookup_child "$3"'
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(resolv), sys.executable, json.dumps(spec)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def url(host: str, provider: JWKSProvider) -> str:
    return f"http://{host}:{provider.port}{JWKS_PATH}"


def test_a_name_the_resolver_answers_is_fetched_from_the_address_found(
    dns: DNSServer, provider: JWKSProvider, tmp_path: Path
) -> None:
    dns.records["keys.idp.test"] = "127.0.0.1"
    dns.delays["keys.idp.test"] = 0.3  # slow, but well inside the 2 s connect timeout
    [result] = fetch_in_namespace(dns, tmp_path, {"urls": [url("keys.idp.test", provider)], "timeout": [2, 2]})
    assert result["ok"] and result["keys"] == 1, result
    assert "keys.idp.test" in dns.queries
    [(path, headers)] = provider.requests
    assert path == JWKS_PATH and headers["Host"] == f"keys.idp.test:{provider.port}"  # the name, not the address


def test_tls_checks_the_certificate_against_the_name_not_the_address(
    dns: DNSServer, signing_key: SigningKey, tmp_path: Path
) -> None:
    """The connection goes to the address found, but SNI and the certificate check use the URL's host."""
    ca = PrivateCA(tmp_path)
    right = TLSJWKSServer(ca.issue("keys.idp.test"), {"keys": [signing_key.public_jwk()]})  # no IP in its SANs
    wrong = TLSJWKSServer(ca.issue("other.idp.test", "127.0.0.1"), {"keys": [signing_key.public_jwk()]})
    try:
        dns.records["keys.idp.test"] = "127.0.0.1"
        urls = [f"https://keys.idp.test:{right.port}/jwks", f"https://keys.idp.test:{wrong.port}/jwks"]
        accepted, refused = fetch_in_namespace(
            dns, tmp_path, {"urls": urls, "timeout": [2, 2], "verify": str(ca.ca_path)}
        )
    finally:
        right.stop()
        wrong.stop()
    assert accepted["ok"] and accepted["keys"] == 1, accepted
    assert right.hosts == [f"keys.idp.test:{right.port}"]
    assert not refused["ok"] and refused["error"] == f"GET {urls[1]} failed: SSLError", refused
    assert wrong.hosts == []  # the certificate for another name (and for the address) ended it before any request


def test_a_resolver_that_never_answers_costs_the_connect_timeout(
    dns: DNSServer, provider: JWKSProvider, tmp_path: Path
) -> None:
    dns.stalled.add("keys.idp.test")
    [result] = fetch_in_namespace(dns, tmp_path, {"urls": [url("keys.idp.test", provider)], "timeout": [1, 1]})
    assert not result["ok"]
    assert result["error"] == f"GET {url('keys.idp.test', provider)} failed: name lookup timed out"
    assert 0.9 <= result["seconds"] < RESOLVER_TIMEOUT / 2, result  # unbounded, it took RESOLVER_TIMEOUT or more
    assert provider.requests == []


def test_a_name_that_does_not_exist_fails_at_once_with_its_reason(
    dns: DNSServer, provider: JWKSProvider, tmp_path: Path
) -> None:
    [result] = fetch_in_namespace(dns, tmp_path, {"urls": [url("gone.idp.test", provider)], "timeout": [2, 2]})
    assert not result["ok"]
    assert result["error"] == f"GET {url('gone.idp.test', provider)} failed: name does not resolve"
    assert result["seconds"] < RESOLVER_TIMEOUT / 2


def test_lookups_given_up_on_are_capped(dns: DNSServer, provider: JWKSProvider, tmp_path: Path) -> None:
    """Each stalled lookup leaves a thread until the resolver gives up; beyond the cap, fetches fail at once."""
    dns.stalled.add("keys.idp.test")
    extra = 3
    results = fetch_in_namespace(
        dns,
        tmp_path,
        {
            "timeout": [1, 1],
            "parallel": MAX_PENDING_LOOKUPS + extra,
            "parallel_url": url("keys.idp.test", provider),
        },
    )
    timed_out = [r for r in results if r["error"].endswith("name lookup timed out")]
    assert len(results) == MAX_PENDING_LOOKUPS + extra and len(timed_out) == len(results), results
    quick = [r for r in results if r["seconds"] < 0.5]  # refused before any lookup started
    assert len(quick) == extra, [round(r["seconds"], 2) for r in results]
