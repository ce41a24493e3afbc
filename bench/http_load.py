"""HTTP throughput and latency of GET / and GET /me under wrk.

The product runs under gunicorn in a few worker models (LocMem cache), the
best one again with Redis, and the seed's Node API as the peer; all of them
fetch keys over HTTP from the same JWKSProvider and get the same token.
"""
from __future__ import annotations

import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from bench import servers, wrk
from bench.procs import group_cpu_seconds, http_get
from bench.servers import GunicornSetup, Server

PATHS = ("/", "/me")


@dataclass
class ServerRun:
    """Both endpoints of one server setup under the same wrk load."""

    target: str  # "product" or "peer"
    label: str  # worker model
    cache: str  # "LocMem", "Redis" or "-"
    server_command: str
    results: dict[str, wrk.WrkResult]
    background: str = ""  # other work on the machine just before this server started
    notes: list[str] = field(default_factory=list)

    def rps(self, path: str) -> float:
        return self.results[path].rps

    @property
    def clean(self) -> bool:
        return all(r.clean for r in self.results.values())


@dataclass
class HttpResults:
    load: wrk.WrkLoad
    rounds: int
    sweep: list[ServerRun]
    recommended: ServerRun
    redis: ServerRun | None
    peer: ServerRun | None
    peer_skipped: str | None
    jwks_fetches: int
    notes: list[str] = field(default_factory=list)


def setups(nproc: int) -> list[GunicornSetup]:
    """Worker models worth trying on `nproc` cores."""
    return [
        GunicornSetup("sync", nproc),
        GunicornSetup("sync", 2 * nproc + 1),
        GunicornSetup("gthread", nproc, 4),
        GunicornSetup("gthread", 2 * nproc, 2),
    ]


def check_endpoints(base_url: str, token: str) -> None:
    """Fail loudly unless / says Hello and /me returns the token's claims."""
    status, body = http_get(base_url + "/")
    if status != 200 or b"Hello" not in body:
        raise RuntimeError(f"GET {base_url}/ answered {status}: {body[:200]!r}")
    status, body = http_get(base_url + "/me", token)
    if status != 200:
        raise RuntimeError(f"GET {base_url}/me answered {status}: {body[:300]!r}")
    claims = json.loads(body)
    if claims.get("sub") != "88421113":
        raise RuntimeError(f"GET {base_url}/me returned unexpected claims: {body[:300]!r}")


def load_server(
    server: Server, token: str, load: wrk.WrkLoad, warmup: wrk.WrkLoad, rounds: int
) -> dict[str, wrk.WrkResult]:
    """Warm up, then `rounds` alternating wrk runs per path; keep each path's best.

    The machine may be shared, so as with timeit the best run (highest req/s)
    is the one least disturbed by other work.
    """
    check_endpoints(server.base_url, token)
    for path in PATHS:  # warm every worker: imports, key fetch, caches
        wrk.run(server.base_url + path, warmup, token if path == "/me" else None)
    cpu = partial(group_cpu_seconds, server.proc.proc.pid)
    best: dict[str, wrk.WrkResult] = {}
    for _ in range(rounds):
        for path in PATHS:
            result = wrk.run(server.base_url + path, load, token if path == "/me" else None, cpu)
            if path not in best or (result.clean, result.rps) > (best[path].clean, best[path].rps):
                best[path] = result
    return best


def _best(runs: list[ServerRun]) -> ServerRun:
    """Highest /me req/s among runs without errors (all runs if none is clean)."""
    pool = [r for r in runs if r.clean] or runs
    return max(pool, key=lambda r: r.rps("/me"))


def run(
    issuer: str,
    jwks_uri: str,
    jwks_hits: Callable[[], int],
    token: str,
    load: wrk.WrkLoad,
    warmup: wrk.WrkLoad,
    log_dir: Path,
    with_peer: bool,
    peer_install_timeout: float,
    rounds: int,
    settle: Callable[[], str] = lambda: "",
    log: Callable[[str], None] = print,
) -> HttpResults:
    """Sweep gunicorn worker models, rerun the best with Redis, then the peer.

    `settle()` runs before each server starts (e.g. waits for other work on
    the machine to calm down) and returns a note kept with that server's run.
    """
    var_dir = log_dir / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    sweep: list[ServerRun] = []
    for setup in setups(os.cpu_count() or 1):
        log(f"  gunicorn {setup.label} (LocMem) ...")
        background = settle()
        env = servers.api_env(issuer, jwks_uri, var_dir, None)
        with servers.gunicorn(setup, env, log_dir) as server:
            results = load_server(server, token, load, warmup, rounds)
            sweep.append(ServerRun("product", setup.label, "LocMem", server.command_line(servers.API_ENV_KEYS), results, background))
    best = _best(sweep)
    best_setup = next(s for s in setups(os.cpu_count() or 1) if s.label == best.label)

    log(f"  gunicorn {best.label} (Redis) ...")
    redis_run: ServerRun | None = None
    background = settle()
    with ExitStack() as stack:
        redis_url = stack.enter_context(servers.redis(log_dir))
        env = servers.api_env(issuer, jwks_uri, var_dir, redis_url)
        server = stack.enter_context(servers.gunicorn(best_setup, env, log_dir))
        results = load_server(server, token, load, warmup, rounds)
        redis_run = ServerRun("product", best.label, "Redis", server.command_line(servers.API_ENV_KEYS), results, background)
        redis_run.notes.append(f"redis keys after the run: {_redis_keys(redis_url)}")

    peer_run: ServerRun | None = None
    skipped: str | None = "not requested" if not with_peer else None
    if with_peer:
        log("  node peer ...")
        skipped = servers.ensure_peer_installed(peer_install_timeout)
        if skipped is None:
            background = settle()
            with servers.node_peer(issuer, jwks_uri, log_dir) as server:
                results = load_server(server, token, load, warmup, rounds)
                peer_run = ServerRun("peer", "node, 1 process", "-", server.command_line(servers.PEER_ENV_KEYS), results, background)
        else:
            log(f"  node peer skipped: {skipped}")
    return HttpResults(load, rounds, sweep, best, redis_run, peer_run, skipped, jwks_hits())


def _redis_keys(url: str) -> str:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2)
        keys = sorted(k.decode(errors="replace") for k in client.keys("*"))
        return f"{len(keys)} ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})"
    except Exception as exc:  # noqa: BLE001 - only a note in the report
        return f"unknown ({exc.__class__.__name__})"
