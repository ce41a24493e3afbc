"""A fleet on one machine: one Redis, the provider and N API hosts, each in a network namespace of its own.

Every API host runs ``make serve``'s command (scripts/serve.sh: granian, DEBUG off) in its namespace, with the
sample's settings (config.settings) pointing at the provider and Redis by their namespace addresses. The provider is
the suites' loopback ``JWKSProvider``, listening in its namespace from this process (so a test can rotate its keys
and count each host's fetches); the load runs from a client namespace. ``tests/support/netns.py`` builds the
network and undoes it, processes included, when the ``with`` block ends.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.project.stack import REPO, base_env
from tests.support.jwks_server import JWKS_PATH, JWKSProvider
from tests.support.netns import Host, Network
from tests.support.processes import redis_server_binary

API_PORT = 5002
REDIS_PORT = 6379

#: The key store's timings on every host (seconds): short, so a fault outlasts several refreshes and cooldowns.
KEY_STORE = {
    "DEFAULT_TTL": 3,
    "MIN_TTL": 1,
    "MAX_TTL": 600,
    "STALE_TTL": 600,
    "REFRESH_AHEAD": 1,
    "RETRY_INTERVAL": 1,
    "LOCAL_TTL": 1,
    "UNKNOWN_KID_COOLDOWN": 2,
}
HTTP = {"TIMEOUT": [0.5, 1.0]}


def jwks_fetches(provider: JWKSProvider) -> Counter[str]:
    """JWKS fetches so far, by the fetching host's address."""
    with provider.lock:
        return Counter({address: n for (path, address), n in provider.hits_by_address.items() if path == JWKS_PATH})


@dataclass
class Fleet:
    network: Network
    directory: Path
    redis: Host
    provider_host: Host
    client: Host
    apis: list[Host]
    provider: JWKSProvider
    workers: int
    _session: threading.local = field(default_factory=threading.local)

    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis.address}:{REDIS_PORT}/0"

    def url(self, api: Host) -> str:
        return f"http://{api.address}:{API_PORT}"

    def cut(self, a: Host, b: Host) -> None:
        self.network.cut(a, b)

    def heal(self, a: Host, b: Host) -> None:
        self.network.heal(a, b)

    def redis_clients(self) -> Counter[str]:
        """Connections Redis holds, by client address (``CLIENT LIST``, asked from the client namespace)."""

        def ask() -> Counter[str]:
            import redis

            client = redis.Redis(host=self.redis.address, port=REDIS_PORT, socket_timeout=2, socket_connect_timeout=2)
            try:
                return Counter(entry["addr"].rsplit(":", 1)[0] for entry in client.client_list())
            finally:
                client.close()

        return self.client.call(ask, timeout=10)

    def log(self, api: Host) -> str:
        path = self.directory / f"{api.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _wait_answering(client: Host, url: str, process: Any, log_path: Path, timeout: float) -> None:
    def probe() -> None:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited ({process.returncode}):\n{log_path.read_text(errors='replace')}")
            try:
                if requests.get(url, timeout=1).status_code < 500:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout} s:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)

    client.call(probe, timeout=timeout + 5)


def _api_env(fleet_dir: Path, api: Host, issuer: str, redis_url: str, workers: int, extra: Mapping[str, str]) -> dict:
    overrides = {"KEY_STORE": KEY_STORE, "HTTP": HTTP}
    return base_env(
        "config.settings",
        fleet_dir / f"{api.name}-var",
        {
            "API_HOST": api.address,
            "API_PORT": str(API_PORT),
            "WEB_CONCURRENCY": str(workers),
            "API_COLLECTSTATIC": "0",
            "API_GRACEFUL_TIMEOUT": "2",
            "DJANGO_SECRET_KEY": "fleet-test-secret-key-" + api.name,
            "DJANGO_ALLOWED_HOSTS": api.address,
            "OIDC_ISSUER": issuer,
            "OIDC_AUDIENCE": "api1",
            "OIDC_ALLOW_HTTP": "1",  # the provider is on a namespace address, not loopback
            "REDIS_URL": redis_url,
            "JWKS_AUTH_OVERRIDES": json.dumps(overrides),
            **extra,
        },
    )


@contextmanager
def running_fleet(
    directory: Path, *, api_hosts: int = 3, workers: int = 1, extra_env: Mapping[str, str] | None = None
) -> Iterator[Fleet]:
    """Redis, the provider, a client namespace and ``api_hosts`` API hosts; all gone when the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    with Network() as network:
        redis_host = network.host("redis")
        provider_host = network.host("provider")
        client = network.host("client")
        apis = [network.host(f"api{i}") for i in range(1, api_hosts + 1)]
        provider = provider_host.call(lambda: JWKSProvider(host=provider_host.address))
        try:
            redis_log = directory / "redis.log"
            redis_process = redis_host.popen(
                [
                    redis_server_binary(),
                    "--bind",
                    redis_host.address,
                    "--port",
                    str(REDIS_PORT),
                    "--protected-mode",
                    "no",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(directory),
                ],
                redis_log,
            )
            fleet = Fleet(network, directory, redis_host, provider_host, client, apis, provider, workers)
            _wait_redis(client, redis_host.address, redis_process, redis_log)
            started = []
            for api in apis:
                env = _api_env(directory, api, provider.issuer, fleet.redis_url, workers, extra_env or {})
                (directory / f"{api.name}-var").mkdir(parents=True, exist_ok=True)
                log_path = directory / f"{api.name}.log"
                process = api.popen([str(REPO / "scripts" / "serve.sh")], log_path, cwd=REPO, env=env)
                started.append((api, process, log_path))
            for api, process, log_path in started:
                _wait_answering(client, fleet.url(api) + "/", process, log_path, timeout=90)
            yield fleet
        finally:
            provider.stop()


def _wait_redis(client: Host, address: str, process: Any, log_path: Path, timeout: float = 15) -> None:
    def probe() -> None:
        import redis

        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{log_path.read_text(errors='replace')}")
            try:
                redis.Redis(host=address, port=REDIS_PORT, socket_timeout=1, socket_connect_timeout=1).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    log = log_path.read_text(errors="replace")
                    raise RuntimeError(f"redis-server did not answer:\n{log}") from None
                time.sleep(0.05)

    client.call(probe, timeout=timeout + 5)
